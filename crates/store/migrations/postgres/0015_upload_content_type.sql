-- What an evidence file is, read from its bytes when it completes (issue 25):
-- its MIME type, or NULL when its bytes match no known kind.
ALTER TABLE uploads ADD COLUMN content_type TEXT;
