"""Execute notebooks in place so readers see their outputs, skipping cells marked with test flags.

    python tools/execute_nb.py nbs/20_closing.ipynb            # skips `#| slow` cells (and `notest`)
    python tools/execute_nb.py --run-slow nbs/20_closing.ipynb # runs them too

`jupyter nbconvert --execute` runs every cell, including ten-minute training cells whose results a
chapter already reads from a committed record; this runs the notebook the way `nbdev_test` does
(from the notebook's folder, the same flags skipped) and saves the outputs. Run `nbdev_clean` after.
"""
import argparse, os, re
from pathlib import Path

from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell


def flags_of(source: str) -> set:
    return {m.group(1) for m in re.finditer(r'^#\|\s*([\w-]+)\s*$', source, flags=re.M)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('notebooks', nargs='+')
    ap.add_argument('--run-slow', action='store_true', help='also run `#| slow` cells')
    args = ap.parse_args()
    skip = {'notest'} | (set() if args.run_slow else {'slow'})
    for path in map(Path, args.notebooks):
        nb = read_nb(path)
        def preproc(cell):  # True: do not run
            return cell.cell_type != 'code' or 'nbdev_export(' in cell.source or bool(skip & flags_of(cell.source))
        shell, cwd = CaptureShell(path), os.getcwd()
        os.chdir(path.parent)
        try: shell.run_all(nb, exc_stop=True, preproc=preproc)
        finally: os.chdir(cwd)
        write_nb(nb, path)
        print(f'executed {path}')


if __name__ == '__main__':
    main()
