-- Each complaint form is sent once (SUP-6): its nonce, from the signed
-- question's token, is kept with the complaint it brought.
ALTER TABLE complaints ADD COLUMN form_nonce TEXT;
CREATE UNIQUE INDEX complaints_form_nonce ON complaints (form_nonce);
