"""tools/preview.py's checks: each fails on a case planted in a small book in a temporary folder, then the book passes.

Plain asserts, no test framework: `python tools/test_preview.py` (CI runs it after the preview itself).
"""
import contextlib, io, shutil, sys, tempfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

sys.path.insert(0, str(Path(__file__).resolve().parent))
import preview

TABLE = '| rung | nats/char |\n|---|---:|\n| bigram | 2.483 |'


def code(source: str, *outputs) -> nbformat.NotebookNode:
    cell = new_code_cell(source)
    cell.outputs = list(outputs)
    return cell


def printed(text: str): return new_output('stream', name='stdout', text=text)
def displayed(text: str): return new_output('display_data', data={'text/markdown': text, 'text/plain': '<IPython.core.display.Markdown object>'})


def good_book() -> dict[str, list]:
    "A small book that passes every check: a home page, two chapters, an appendix."
    return {
        'index': [new_markdown_cell('# A planted book\n\n> Three pages and an appendix.'),
                  new_markdown_cell('| chapter |\n|---|\n| [1 First](01_first.ipynb) |\n| [2 Second](02_second.ipynb) |\n'
                                    '| [A Commands](cli.ipynb) |')],
        '01_first': [new_markdown_cell('# 1\\. First\n\n> Leads to chapter 2.'),   # the title cell is front matter: left alone
                     new_markdown_cell('This chapter (chapter 1) leads to [chapter 2](02_second.ipynb), as chapters '
                                       '[1](01_first.ipynb) and [2](02_second.ipynb) say; `chapter 2` in code is code.'),
                     code('print(1)', printed('1\n')),
                     code('display(Markdown(TABLE))', displayed(TABLE))],
        '02_second': [new_markdown_cell('# 2\\. Second\n\n> The second.'),
                      new_markdown_cell("Back to [Chapter 1](01_first.ipynb#the-end)'s end, or [the first page](first.html).")],
        'cli': [new_markdown_cell('# A\\. Appendix: commands\n\n> One line per bad argument.')],
    }


def plant(folder: Path, book: dict[str, list]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, cells in book.items():
        text = cells if isinstance(cells, str) else nbformat.writes(new_notebook(cells=cells))
        (folder/f'{name}.ipynb').write_text(text, encoding='utf-8')
    return folder


def problems(folder: Path) -> tuple[list[str], list[str]]:
    "Bad input and flaws of every notebook in `folder`, from the stored notebooks alone (nothing rendered)."
    chapters, broken, flaws = preview.book_chapters(folder), [], []
    for nb in preview.book_notebooks(folder):
        bad, flawed = preview.source_problems(nb, chapters)
        broken += [f'{nb.stem}: {p}' for p in bad]; flaws += [f'{nb.stem}: {p}' for p in flawed]
    return broken, flaws


def with_change(name: str, change) -> dict:
    book = good_book()
    book[name] = change(book[name])
    return book


def only_flaw(tmp: Path, book: dict, *expected: str):
    "The planted book has exactly one flaw, on the page and with the words expected."
    broken, flaws = problems(plant(tmp, book))
    assert not broken, broken
    assert len(flaws) == 1 and all(e in flaws[0] for e in expected), flaws
    return flaws[0]


def run(argv: list[str]) -> tuple[int, str]:
    "preview.main's exit status and what it wrote to stderr."
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try: status = preview.main(argv)
        except SystemExit as e: status = e.code
    return status, err.getvalue()


def main():
    root = Path(tempfile.mkdtemp(prefix='test_preview-'))
    try: checks(root)
    finally: shutil.rmtree(root, ignore_errors=True)


def checks(root: Path):
    case = iter(range(1000))
    def tmp(): return root/f'book{next(case)}'

    # the planted book is clean, and builds into a whole site with the sidebar's previous/next links
    assert problems(plant(tmp(), good_book())) == ([], []), problems(root/'book0')
    out = root/'site'
    status, err = run([f'--nbs={root/"book0"}', f'--out={out}', '--check'])
    assert status == 0, err
    assert sorted(p.name for p in out.glob('*.html')) == ['cli.html', 'first.html', 'index.html', 'second.html']
    first = (out/'first.html').read_text(encoding='utf-8')
    assert 'rel="prev" href="index.html"' in first and 'rel="next" href="second.html"' in first
    assert '>1. First<' in first and 'href="second.html">chapter 2</a>' in first   # numbered title, retargeted link
    assert 'rel="next"' not in (out/'cli.html').read_text(encoding='utf-8')          # the last page has no next
    assert not [p for p in root.iterdir() if p.name.startswith('.site-')]          # no build folder left behind

    # (a) a Markdown pipe table printed as text, in a stream or as a text/plain result
    only_flaw(tmp(), with_change('01_first', lambda c: c + [code('print(TABLE)', printed(TABLE + '\n'))]),
              '01_first', 'cell "print(TABLE)"', 'pipe table printed as text')
    result = new_output('execute_result', data={'text/plain': 'note\n' + TABLE}, execution_count=None)
    only_flaw(tmp(), with_change('02_second', lambda c: c + [code('TABLE', result)]), '02_second', 'pipe table')
    # a rule line first, then a row, is not a table: nothing to flag
    broken, flaws = problems(plant(tmp(), with_change('01_first', lambda c: c + [code('print(t)', printed('|---|\n| a |\n'))])))
    assert (broken, flaws) == ([], []), flaws

    # (b) unlinked chapter references: plain, plural, capitalised, linked to the wrong page, no such chapter
    prose = lambda text: lambda c: c + [new_markdown_cell(text)]
    only_flaw(tmp(), with_change('01_first', prose('See chapter 2 for more.')), '"chapter 2"', '[chapter 2](02_second.ipynb)')
    only_flaw(tmp(), with_change('02_second', prose('As Chapters 1 and 2 show.')), '"Chapters 1 and 2"', 'link chapter 1')
    only_flaw(tmp(), with_change('02_second', prose("Chapter 1's end.")), '"Chapter 1"')
    only_flaw(tmp(), with_change('01_first', prose('See [chapter 2](01_first.ipynb).')), 'links to 01_first.ipynb, not to 02_second.ipynb')
    only_flaw(tmp(), with_change('01_first', prose('See chapter 7.')), 'there is no chapter 7')
    broken, flaws = problems(plant(tmp(), with_change('01_first', prose('See [chapter 7](07_seventh.ipynb).'))))
    assert len(flaws) == 1 and 'no chapter 7' in flaws[0] and broken == ['01_first: link to 07_seventh.ipynb: no such notebook']
    only_flaw(tmp(), with_change('02_second', prose('In chapters [1](01_first.ipynb) to 2a.')), 'no chapter 2a')

    # (c) the existing checks, and the titles: without a number, unescaped, cut short; the home page's table
    only_flaw(tmp(), with_change('01_first', lambda c: [new_markdown_cell('# First\n\n> x')] + c[1:]), 'does not start with its number')
    only_flaw(tmp(), with_change('01_first', lambda c: [new_markdown_cell('# 1. First\n\n> x')] + c[1:]), 'write `# 1\\. First`')
    only_flaw(tmp(), with_change('01_first', lambda c: [new_markdown_cell('# 1\\. First\n\n> one\n> two')] + c[1:]), 'cut from the page')
    only_flaw(tmp(), with_change('index', lambda c: c[:1] + [new_markdown_cell('[1 First](01_first.ipynb), [A](cli.ipynb)')]),
              'does not link chapter 2 (02_second.ipynb)')
    only_flaw(tmp(), with_change('02_second', lambda c: c + [code('1/0', new_output('error', ename='ZeroDivisionError', evalue='', traceback=[]))]),
              'error output')
    only_flaw(tmp(), with_change('02_second', lambda c: c + [code('train()', printed(' 42%|####  | 42/100\n'))]), 'progress-bar')

    # bad input: one line naming the page, exit status 1, no site; a site already there stays as it was
    out = root/'kept'
    assert run([f'--nbs={root/"book0"}', f'--out={out}'])[0] == 0
    (out/'index.html').write_text('the site before')
    bad_inputs = {
        'does not render: ': with_change('02_second', lambda c: c + [code('show_doc(no_such_name)')]),
        'cannot be read: ': {**good_book(), '02_second': '{"cells": [ not json'},
        'image missing.png not found': with_change('02_second', prose('![a plot](missing.png)')),
        'link to 03_third.ipynb: no such notebook': with_change('02_second', prose('[the next page](03_third.ipynb)')),
        'link to third.html: no such page': with_change('02_second', prose('[the next page](third.html)')),
    }
    for words, book in bad_inputs.items():
        folder = plant(tmp(), book)
        status, err = run([f'--nbs={folder}', f'--out={out}'])
        lines = [l for l in err.splitlines() if words in l]
        assert status == 1 and len(lines) == 1 and lines[0].startswith(f'{folder/"02_second.ipynb"}: '), (words, status, err)
        assert 'no site written' in err and (out/'index.html').read_text() == 'the site before', err
        fresh = root/f'fresh{next(case)}'
        assert run([f'--nbs={folder}', f'--out={fresh}'])[0] == 1 and not fresh.exists()  # nothing where nothing was
    assert not [p for p in root.iterdir() if p.name.startswith(('.kept-', '.fresh'))]   # no half-built folder left over
    notes = root/'notes'; notes.mkdir(); (notes/'mine.ipynb').write_text('{}')
    status, err = run([f'--nbs={root/"book0"}', f'--out={notes}'])
    assert status == 2 and 'did not build' in err and (notes/'mine.ipynb').exists(), err   # never replaces someone's folder

    # ... and the book itself passes every check that reads the notebooks (CI's preview step renders it)
    broken, flaws = problems(preview.NBS)
    assert not broken and not flaws, '\n'.join(broken + flaws)
    print(f'ok: each check fails on its planted case ({next(case)} cases) and passes on the book '
          f'({len(preview.book_notebooks(preview.NBS))} notebooks)')


if __name__ == '__main__': main()
