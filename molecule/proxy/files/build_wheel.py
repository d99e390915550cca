"""Build the wheel of the test-only OMERO.web app (pure Python, no build backend needed:
the OMERO hosts install from the wheelhouse without an index, where no setuptools is).

usage: python3 build_wheel.py SOURCE_DIR OUTPUT_DIR  (prints the wheel's path)
"""

import base64
import hashlib
import pathlib
import sys
import zipfile

NAME, VERSION, PACKAGE = "omero_proxytest", "1.0", "proxytest"


def record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def main(source, output):
    dist_info = f"{NAME}-{VERSION}.dist-info"
    files = {f"{PACKAGE}/{path.name}": path.read_bytes() for path in sorted(pathlib.Path(source, PACKAGE).glob("*.py"))}
    files[f"{dist_info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n"
        "Summary: test-only OMERO.web app of the bioimage.omero proxy scenario\n"
    ).encode()
    files[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: build_wheel.py\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    records = [record_line(name, data) for name, data in files.items()]
    records.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(records) + "\n").encode()
    wheel = pathlib.Path(output, f"{NAME}-{VERSION}-py3-none-any.whl")
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            # fixed timestamps: the same sources give the same wheel (idempotent copy)
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
    print(wheel)


if __name__ == "__main__":
    main(*sys.argv[1:])
