# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the zeroc-ice wheel from an unpacked (and patched) source tree.

setuptools compiles the sources of one extension one file at a time, and
zeroc-ice is a single extension of about 200 C++ files: on two cores that is
about 8 minutes. This wrapper runs the package's own setup.py unchanged but
compiles ``--jobs`` files at a time (about 2.5 minutes on two cores).
"""

from __future__ import annotations

import argparse
import importlib
import os
import runpy
import sys
from concurrent.futures import ThreadPoolExecutor


def parallel_compile(jobs, extra_args):
    """Return a replacement for CCompiler.compile running `jobs` compilers at once.

    `extra_args` go last on every compiler command line (so they win over the
    flags Python was built with).
    """

    def compile_sources(
        self,
        sources,
        output_dir=None,
        macros=None,
        include_dirs=None,
        debug=False,
        extra_preargs=None,
        extra_postargs=None,
        depends=None,
    ):
        # Same steps as distutils' CCompiler.compile, with the loop in a pool.
        macros, objects, extra_postargs, pp_opts, build = self._setup_compile(
            output_dir, macros, include_dirs, sources, depends, extra_postargs
        )
        cc_args = self._get_cc_args(pp_opts, debug, extra_preargs)
        extra_postargs = [*(extra_postargs or []), *extra_args]

        def compile_one(obj):
            if obj in build:
                src, ext = build[obj]
                self._compile(obj, src, ext, cc_args, extra_postargs, pp_opts)

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            # list() re-raises the first compiler error here.
            list(pool.map(compile_one, objects))
        return objects

    return compile_sources


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="unpacked zeroc-ice source directory")
    parser.add_argument("dist_dir", help="directory the wheel is written to")
    parser.add_argument("--jobs", type=int, default=0, help="files compiled at once (0: one per CPU)")
    parser.add_argument(
        "--debug-info",
        action="store_true",
        help="keep debug information (a 35 MB wheel instead of 3 MB, and a slower build)",
    )
    args = parser.parse_args(argv)

    dist_dir = os.path.abspath(args.dist_dir)
    os.chdir(args.source)
    sys.path.insert(0, os.getcwd())

    # setuptools first: it provides the `distutils` that setup.py imports
    # (Python 3.12 dropped the standard library's).
    importlib.import_module("setuptools")
    ccompiler = importlib.import_module("distutils.ccompiler")

    # -g0 last: CFLAGS/CXXFLAGS from the environment replace (not extend)
    # Python's own flags in recent setuptools, so they cannot carry it.
    extra_args = [] if args.debug_info else ["-g0"]
    ccompiler.CCompiler.compile = parallel_compile(args.jobs or os.cpu_count() or 1, extra_args)
    sys.argv = ["setup.py", "bdist_wheel", "--dist-dir", dist_dir]
    runpy.run_path("setup.py", run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
