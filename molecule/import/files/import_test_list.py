"""import_test_list.py DIR: the molecule scenario's stand-in for `omero import -f -- DIR`.

Same output format as `omero import -f` ("# Group: MAIN SPW: false Reader: ..."
then the fileset's files): every top-level file of DIR is a fileset, every
top-level directory one fileset of all the files below it (like a multi-file
format). Bio-Formats decides this for real imports.
"""

import os
import sys

base = sys.argv[1].rstrip("/")
for name in sorted(os.listdir(base)):
    path = os.path.join(base, name)
    if os.path.isdir(path):
        files = sorted(os.path.join(d, f) for d, _s, fs in os.walk(path) for f in fs)
        if not files:
            continue
        main = files[0]
    else:
        main, files = path, [path]
    print(f"# Group: {main} SPW: false Reader: test.TestReader")
    for f in files:
        print(f)
