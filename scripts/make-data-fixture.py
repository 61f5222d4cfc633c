#!/usr/bin/env python3
"""Make the data-directory fixture that later versions must still open and verify.

python3 scripts/make-data-fixture.py ZHIFA_BINARY OUT.zip

Runs the demo (every registry, cases at every stage, publications, evidence,
annual reports), then through a served API updates one entry of every
registry, creates and revokes a token, signs in (once wrongly), and retrieves
another agency's evidence as a supervisor; checks `zhifa verify`; zips the
SQLite database (WAL checkpointed), the ledger key and the evidence files.
The search indexes are left out: they are rebuilt from the database.
"""
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import zipfile

zhifa, out = sys.argv[1], os.path.abspath(sys.argv[2])
data = tempfile.mkdtemp(prefix="zhifa-fixture-")


def run(*args):
    return subprocess.run([zhifa, "--data", data, *args], check=True, capture_output=True, text=True).stdout


def request(method, path, token=None, body=None, headers=None, form=False):
    h = dict(headers or {})
    if token:
        h["Authorization"] = f"Bearer {token}"
    raw = None
    if body is not None and form:
        raw = urllib.parse.urlencode(body).encode()
        h["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        raw = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    req = urllib.request.Request(base + path, data=raw, method=method, headers=h)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def ok(status, what):
    if status >= 400:
        sys.exit(f"{what}: {status}")


run("demo", "--no-serve")
admin = run("token", "create", "--user", "admin").strip()
supervisor = run("token", "create", "--user", "zj-jiandu").strip()
server = subprocess.Popen([zhifa, "--data", data, "serve", "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                          text=True)
line = server.stdout.readline()
base = "http://" + re.search(r"http://([^/\s]+)", line).group(1)
try:
    status, _, body = request("GET", "/api/v1/agencies", admin)
    agency = next(a for a in json.loads(body) if a["code"] == "hzxh-scjg")
    aid = agency["id"]

    def update(list_path, one_path, change):
        status, _, body = request("GET", list_path, admin)
        ok(status, list_path)
        entry = json.loads(body)[0] if list_path != one_path else json.loads(body)
        entry = dict(entry)
        change(entry)
        path = one_path.format(id=entry["id"])
        status, _, body = request("PUT", path, admin, entry)
        ok(status, f"PUT {path}: {body[:200]}")

    update(f"/api/v1/agencies/{aid}", f"/api/v1/agencies/{aid}", lambda e: e.update(phone="0571-87000000"))
    update(f"/api/v1/agencies/{aid}/items", "/api/v1/items/{id}", lambda e: e.update(name=e["name"] + "（修订）"))
    update(f"/api/v1/agencies/{aid}/users", "/api/v1/users/{id}", lambda e: e.update(name=e["name"]))
    update(f"/api/v1/agencies/{aid}/certificates", "/api/v1/certificates/{id}", lambda e: e.update(region=e["region"]))
    update(f"/api/v1/agencies/{aid}/inspection-items", "/api/v1/inspection-items/{id}",
           lambda e: e.update(name=e["name"] + "（修订）"))
    update(f"/api/v1/agencies/{aid}/service-guides", "/api/v1/service-guides/{id}",
           lambda e: e.update(office_hours="工作日 9:00-17:00"))
    update(f"/api/v1/agencies/{aid}/discretion-benchmarks", "/api/v1/discretion-benchmarks/{id}",
           lambda e: e.update(remarks="2026 年修订"))
    status, _, body = request("GET", f"/api/v1/agencies/{aid}/review-catalogue", admin)
    ok(status, "catalogue")
    catalogue = json.loads(body)
    catalogue["time_limit_days"] = catalogue["time_limit_days"] + 1
    status, _, body = request("PUT", f"/api/v1/agencies/{aid}/review-catalogue", admin, catalogue)
    ok(status, f"PUT catalogue: {body[:200]}")

    status, _, body = request("GET", "/api/v1/me", admin)
    me = json.loads(body)["user_id"]
    status, _, body = request("POST", f"/api/v1/users/{me}/tokens", admin, {"name": "接口对接"})
    ok(status, f"token: {body[:200]}")
    token_id = json.loads(body)["id"]
    status, _, body = request("DELETE", f"/api/v1/tokens/{token_id}", admin)
    ok(status, "revoke")

    # A wrong password, then the right one, through the console's form.
    for password in ["wrong password", "zhifa-demo-2026"]:
        status, headers, _ = request("GET", "/console/login")
        cookie = headers["Set-Cookie"].split(";")[0]
        csrf = cookie.split("=", 1)[1]
        status, _, _ = request("POST", "/console/login", body={"csrf_token": csrf, "username": "hzxh-scjg-fzr",
                                                                "password": password},
                               headers={"Cookie": cookie}, form=True)

    # A supervisor reads another agency's evidence (调阅): recorded with its reason.
    db = sqlite3.connect(os.path.join(data, "zhifa.db"))
    upload = db.execute("SELECT id FROM uploads ORDER BY id LIMIT 1").fetchone()[0]
    db.close()
    # (The fixture of 2026-12-04 was made when a GET with ?reason= did this.)
    ok(request("POST", f"/api/v1/evidence/{upload}/retrieval", supervisor, {"reason": "案卷评查"})[0], "retrieval")
finally:
    server.send_signal(signal.SIGINT)
    server.wait()

report = run("verify")
if "账本完好" not in report:
    sys.exit(report)
db = sqlite3.connect(os.path.join(data, "zhifa.db"))
kinds = [k for (k,) in db.execute("SELECT DISTINCT kind FROM records ORDER BY kind")]
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.execute("PRAGMA journal_mode=DELETE")
db.close()
for d in ["search", "search-lists"]:
    shutil.rmtree(os.path.join(data, d), ignore_errors=True)
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for root, _, files in os.walk(data):
        for f in sorted(files):
            if f.endswith(("-wal", "-shm")):
                continue
            full = os.path.join(root, f)
            z.write(full, os.path.relpath(full, data))
shutil.rmtree(data)
print(f"{out}: {os.path.getsize(out)} bytes; record kinds: {' '.join(kinds)}")
