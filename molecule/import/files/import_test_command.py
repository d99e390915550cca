"""import_test_command.py -u USER --transfer=ln|ln_s|cp -T TARGET -- MAIN

The molecule scenario's stand-in for `omero import` (which needs OMERO.server):
does what an in-place import does on disk and in OMERO's tables. Spends
IMPORT_TEST_SLEEP seconds "reading metadata" first, then places the fileset's
files in IMPORT_TEST_REPO/USER_ID/YYYY-MM/DD/HH-MM-SS.ffffff/ (hard link for
ln, symlink for ln_s, copy for cp, like --transfer) and records the fileset,
its original files, its entries (clientPath = the source path without its
leading slash) and one image in one transaction. The fileset is MAIN alone, or,
when MAIN lies in a top-level directory of the request's staging directory
(IMPORT_TEST_STAGING/ID/), every file of that directory (as import_test_list.py
groups them). Connects to OMERO's database through the PG* environment.
"""

import argparse
import os
import shutil
import sys
import time

import psycopg2

p = argparse.ArgumentParser()
p.add_argument("-u", required=True)
p.add_argument("--transfer", required=True, choices=["ln", "ln_s", "cp"])
p.add_argument("-T", required=True)
p.add_argument("main")
a = p.parse_args()
main = os.path.abspath(a.main)
staging = os.environ.get("IMPORT_TEST_STAGING", "/OMERO/import-staging").rstrip("/")
parts = os.path.relpath(main, staging).split("/")
if parts[0] == ".." or len(parts) < 2:
    sys.exit(f"ERROR: {main} is not below {staging}/ID/")
if len(parts) == 2:
    files, common = [main], os.path.dirname(main)
else:
    top = os.path.join(staging, parts[0], parts[1])
    files = sorted(os.path.join(d, f) for d, _s, fs in os.walk(top) for f in fs)
    common = os.path.dirname(top)
time.sleep(float(os.environ.get("IMPORT_TEST_SLEEP", "0")))
conn = psycopg2.connect("")
with conn, conn.cursor() as cur:
    cur.execute("SELECT id FROM experimenter WHERE omename = %s", (a.u,))
    row = cur.fetchone()
    if row is None:
        sys.exit(f"ERROR: no OMERO user {a.u}")
    uid = row[0]
    stamp = time.time()
    when = time.strftime("%Y-%m/%d/%H-%M-%S", time.gmtime(stamp))
    rel_dir = f"{a.u}_{uid}/{when}.{int(stamp % 1 * 1e6):06d}"
    dest_dir = os.path.join(os.environ["IMPORT_TEST_REPO"], rel_dir)
    cur.execute("LOCK TABLE fileset, originalfile, filesetentry, image IN EXCLUSIVE MODE")
    cur.execute("SELECT COALESCE(max(id), 0) + 1 FROM fileset")
    fs_id = cur.fetchone()[0]
    cur.execute("INSERT INTO fileset (id, templatePrefix, owner_id) VALUES (%s, %s, %s)", (fs_id, rel_dir + "/", uid))
    for index, src in enumerate(files):
        rel = os.path.relpath(src, common)
        dst = os.path.join(dest_dir, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if a.transfer == "ln":
            os.link(src, dst)
        elif a.transfer == "ln_s":
            os.symlink(src, dst)
        else:
            shutil.copy2(src, dst)
        cur.execute("SELECT COALESCE(max(id), 0) + 1 FROM originalfile")
        of_id = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO originalfile (id, path, name, size, owner_id) VALUES (%s, %s, %s, %s, %s)",
            (
                of_id,
                os.path.join(rel_dir, os.path.dirname(rel)) + "/",
                os.path.basename(rel),
                os.path.getsize(src),
                uid,
            ),
        )
        cur.execute("SELECT COALESCE(max(id), 0) + 1 FROM filesetentry")
        cur.execute(
            "INSERT INTO filesetentry (id, clientPath, fileset, originalFile, fileset_index, owner_id)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (cur.fetchone()[0], src.lstrip("/"), fs_id, of_id, index, uid),
        )
    cur.execute("SELECT COALESCE(max(id), 0) + 1 FROM image")
    cur.execute(
        "INSERT INTO image (id, name, fileset, owner_id) VALUES (%s, %s, %s, %s)",
        (cur.fetchone()[0], os.path.basename(main), fs_id, uid),
    )
print(f"Fileset:{fs_id}")
print(f"Image:{fs_id}")
