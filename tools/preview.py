"""Build a local HTML preview of the docs site from the notebooks, without Quarto.

`nbdev_docs` first processes every notebook the way `nbdev_proc_nbs` does (title cell to front
matter, `#| hide` cells dropped, `show_doc` run and rendered, nbdev directives stripped), then hands
the result to Quarto, which cannot be installed here. This runs the same processing, applies the
Quarto cell options the book uses (`echo`, `output`, `include`: false), and renders each page with
nbconvert from its stored outputs: only what nbdev runs for `show_doc` is executed. Every page gets
the sidebar and previous/next links in the sidebar's order, as Quarto's `page-navigation` draws them.

Bad input fails every build, one line per problem naming the page, with exit status 1 and no site
left behind (the pages are built in a temporary folder and moved into place only when all of them
rendered): a notebook that cannot be read or rendered, a missing image, a link to a notebook or page
that does not exist. `--check` also fails on what a reader should never see: an error or traceback
in an output, progress-bar residue, a Markdown pipe table printed as text instead of displayed, a
title cell that nbdev cuts short, a chapter's title without its number, a "chapter N" in prose that
is not a link to chapter N (a page may name its own chapter unlinked; the title cell, which becomes
front matter, is left alone), a chapter number with no notebook, and a home page that does not link
every chapter.
"""
import argparse, html, os, re, shutil, sys, tempfile, time, warnings
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbdev import serve_drv
from nbdev.doclinks import _nbpath2html
from nbdev.frontmatter import _fm2dict, _md2dict
from nbdev.processors import FilterDefaults

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT/'nbs'
OPTION = re.compile(r'^#\|\s*([\w-]+)\s*:\s*(.*?)\s*$', flags=re.M)   # a Quarto cell option
TARGET = re.compile(r'''(?P<pre>(?P<bang>!?)\[[^\]]*\]\(\s*<?|<(?P<tag>img|a)\b[^>]*?\b(?:src|href)=["'])(?P<url>[^)\s"'>]+)''')
PANDOC_LINK = re.compile(r'\[([^\]]+)\]\(([^)\s]+)\)\{([^}]*)\}')      # [text](url){key="value"}
PROGRESS_BAR = re.compile(r'\d+%\|')                                   # tqdm's " 42%|████  |"
LOCAL_MATHJAX = Path('/usr/share/javascript/mathjax/MathJax.js')       # Debian's libjs-mathjax: maths offline
APPENDICES = {'cli': 'A'}                           # pages with no number in their file name, lettered as appendices
MARKER = '.ycit-preview'                            # marks a folder this script built, so that it may replace it

# "chapter 15", "Chapters 10 to 13", "chapters 14 and 16", "chapter 13a", "chapter-13", each number possibly
# already a link: "[chapter 15](15_ladder.ipynb)", "chapters [14](14_sample.ipynb) and [16](16_cost.ipynb)".
_NUMBER = r'\[?(?P<n>\d+[a-z]?)(?!\w|[.,]\d)(?:\]\([^)\s]*\))?'
CHAPTER_NUMBER = re.compile(_NUMBER)
CHAPTER_REF = re.compile(r'\b[Cc]hapters?(?:\s+|-)' + _NUMBER.replace('?P<n>', '?:')
                         + r'(?:(?:\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|to)\s+|\s*[-–]\s*)' + _NUMBER.replace('?P<n>', '?:') + ')*')
MD_LINK = re.compile(r'(?<!!)\[(?P<text>[^\]]*)\]\((?P<url>[^)\s]+)(?:\s+"[^"]*")?\)')
CODE = re.compile(r'^(?P<fence>```|~~~).*?^(?P=fence)|(?P<ticks>`+).+?(?P=ticks)|<!--.*?-->', flags=re.M | re.S)
TABLE_ROW = re.compile(r'^\s*\|.*\|\s*$')
TABLE_RULE = re.compile(r'^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$')


def pandoc_links(md: str) -> str:
    "Pandoc's link attributes (show_doc's `[source](url){target=...}`) as HTML, which nbconvert's markdown lacks."
    return PANDOC_LINK.sub(lambda m: f'<a href="{m[2]}" {m[3]}>{m[1]}</a>', md)


def page_name(nb: Path) -> str:
    "The page's file name on the site: nbdev drops the chapter number (`10_attention` -> `attention.html`)."
    return _nbpath2html(nb).name


def chapter_label(nb: Path) -> str | None:
    "The chapter's number as the book writes it (`15_ladder` -> '15', `04a_distributed` -> '4a', `cli` -> 'A'); None for the home page."
    m = re.match(r'(\d+)([a-z]?)_', nb.stem)
    return f'{int(m[1])}{m[2]}' if m else APPENDICES.get(nb.stem)


def book_notebooks(nbs: Path) -> list[Path]:
    "The notebooks of the site in the sidebar's order: the home page, then by file name."
    notebooks = [p for p in sorted(nbs.glob('*.ipynb')) if not p.name.startswith(('_', '.'))]
    return sorted(notebooks, key=lambda p: p.stem != 'index')


def plain(title: str) -> str:
    "A title as Markdown shows it: `15\\. The ladder` (escaped so that Quarto does not read a list) -> `15. The ladder`."
    return re.sub(r'\\([!-/:-@\[-`{-~])', r'\1', title)


def title_cell(nb: nbformat.NotebookNode) -> str:
    "The first markdown cell with a `# title`, which nbdev turns into the page's front matter."
    return next((c.source for c in nb.cells if c.cell_type == 'markdown' and _md2dict(c.source)), '')


def cut_title_lines(source: str) -> int:
    "How many lines of the title cell nbdev drops: it keeps `# title`, the first `> ` line and `- key: value` lines."
    kept = [re.compile(r'^#\s+\S'), re.compile(r'^>\s+\S')]
    dropped = 0
    for line in filter(str.strip, source.splitlines()):
        first = next((p for p in kept if p.match(line)), None)
        if first: kept.remove(first)
        elif not re.match(r'^-\s+\S.*:.*\S', line): dropped += 1
    return dropped


def retarget(md: str, folder: Path, out: Path | None = None, problems: list | None = None) -> str:
    "Local links of one markdown text: report missing targets, copy images to `out`, point notebooks at their pages."
    problems = [] if problems is None else problems
    def one(m: re.Match) -> str:
        url = m['url']
        path = url.split('#')[0].split('?')[0]
        if not path or re.match(r'^[a-z][\w+.-]*:', path): return m[0]    # http:, data:, attachment:, #anchor
        is_image, file = m['bang'] == '!' or m['tag'] == 'img', folder/path
        if is_image and not file.is_file(): problems.append(f'image {url} not found')
        elif is_image and out:
            (out/path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, out/path)
        elif path.endswith('.ipynb') and not file.is_file(): problems.append(f'link to {url}: no such notebook')
        elif path.endswith('.ipynb'): return m['pre'] + url.replace(Path(path).name, page_name(file))
        elif path.endswith('.html') and '/' not in path and path not in {page_name(p) for p in book_notebooks(folder)}:
            problems.append(f'link to {url}: no such page')
        return m[0]
    return TARGET.sub(one, pandoc_links(md))


def is_pipe_table(text: str) -> bool:
    "Whether `text` holds a Markdown pipe table: a `| a | b |` line followed by a `|---|---|` line."
    lines = text.splitlines()
    return any(TABLE_ROW.match(row) and '|' in rule and '-' in rule and TABLE_RULE.match(rule)
               for row, rule in zip(lines, lines[1:]))


def output_problems(cell: nbformat.NotebookNode) -> list[str]:
    "What a reader should not see in one cell's stored outputs: errors, tracebacks, progress bars, tables printed as text."
    outs = cell.get('outputs', [])
    streams = [''.join(o.text) for o in outs if o.output_type == 'stream']
    texts = streams + [''.join(o.data['text/plain']) for o in outs if 'text/plain' in o.get('data', {})
                       and not {'text/markdown', 'text/html'} & set(o.data)]   # the richer form is what a reader sees
    found = {'error output': sum(o.output_type == 'error' for o in outs),
             'traceback in a stream output': sum('Traceback (most recent call last)' in s for s in streams),
             'progress-bar residue (\\r or a tqdm bar) in a stream output': sum(
                 '\r' in s or bool(PROGRESS_BAR.search(s)) for s in streams),
             'Markdown pipe table printed as text (display it: IPython.display.Markdown)': sum(map(is_pipe_table, texts))}
    first_line = next((l for l in cell.source.splitlines() if l.strip() and not l.startswith('#|')), '')
    return [f'cell "{first_line[:50]}": {n} x {what}' for what, n in found.items() if n]


def chapter_problems(md: str, chapters: dict[str, Path], own: str | None = None) -> list[str]:
    """Each "chapter N" of one markdown text that is not inside a link to chapter N's notebook (`own`, the page's
    chapter, may stay unlinked), or that names a chapter with no notebook."""
    text = CODE.sub(lambda m: ' ' * len(m[0]), md)                          # no references in code or comments
    links = [(m.start('text'), m.end('text'), m['url'].split('#')[0]) for m in MD_LINK.finditer(text)]
    problems = []
    for ref in CHAPTER_REF.finditer(text):
        words = ' '.join(re.sub(r'\]\([^)]*\)|[\[\]]', '', ref[0]).split())  # "chapters 14 and 16", as a reader reads it
        for num in CHAPTER_NUMBER.finditer(ref[0], re.match(r'[Cc]hapters?', ref[0]).end()):
            label, at = re.sub(r'^0+(?=\d)', '', num['n']), ref.start() + num.start('n')
            target = next((url for start, end, url in links if start <= at < end), None)
            wanted = chapters.get(label)
            if wanted is None: problems.append(f'"{words}": there is no chapter {label} (no notebook numbered {label})')
            elif target is None and label != own:
                problems.append(f'"{words}": link chapter {label} to its page, e.g. [chapter {label}]({wanted.name})')
            elif target is not None and Path(target).name != wanted.name:
                problems.append(f'"{words}": chapter {label} links to {target}, not to {wanted.name}')
    return problems


def title_problems(nb_path: Path, nb: nbformat.NotebookNode) -> list[str]:
    "A title cell nbdev cuts short, or a chapter's title without its number."
    source, problems = title_cell(nb), []
    if n := cut_title_lines(source):
        problems.append(f'title cell: nbdev keeps only `# title` and one `> summary` line; {n} more line(s) are cut from the page')
    title, label = _md2dict(source).get('title', ''), chapter_label(nb_path)
    if label and not (title.startswith(f'{label}\\. ') or not label.isdigit() and title.startswith(f'{label}. ')):
        rest = re.sub(rf'^{re.escape(label)}\\?\.\s+', '', title)
        problems.append(f'title "{title}" does not start with its number: write `# {label}\\. {plain(rest)}` '
                        f'(the backslash keeps Quarto from reading "{label}." as a numbered list)')
    return problems


def source_problems(nb_path: Path, chapters: dict[str, Path] | None = None) -> tuple[list[str], list[str]]:
    "What the stored notebook would show a reader that it should not: (bad input that breaks the page, flaws for `--check`)."
    chapters = book_chapters(nb_path.parent) if chapters is None else chapters
    try: nb = nbformat.read(nb_path, as_version=4)
    except Exception as e: return [f'cannot be read: {type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ""}'], []
    broken, flaws, own = [], title_problems(nb_path, nb), chapter_label(nb_path)
    title = title_cell(nb)
    for cell in nb.cells:
        flaws += output_problems(cell)
        if cell.cell_type == 'markdown':
            retarget(cell.source, nb_path.parent, problems=broken)
            if cell.source != title: flaws += chapter_problems(cell.source, chapters, own)  # front matter: no links there
    if nb_path.stem == 'index':
        linked = {Path(m['url'].split('#')[0]).name for c in nb.cells if c.cell_type == 'markdown' for m in MD_LINK.finditer(c.source)}
        flaws += [f'the chapter table does not link chapter {label} ({p.name})'
                  for label, p in chapters.items() if p.name not in linked]
    return broken, flaws


def book_chapters(nbs: Path) -> dict[str, Path]:
    "Every chapter's notebook by its number as the book writes it ('0', '4a', '15', 'A')."
    return {label: p for p in book_notebooks(nbs) if (label := chapter_label(p))}


def page_title(nb_path: Path) -> str:
    "The page's title as the sidebar shows it (the file name where the notebook cannot be read)."
    try: return plain(_md2dict(title_cell(nbformat.read(nb_path, as_version=4))).get('title', nb_path.stem))
    except Exception: return nb_path.stem


def pager(here: str, sidebar: list[tuple[str, str]]) -> str:
    "Previous and next links in the sidebar's order, as Quarto's `page-navigation` draws them at the foot of a page."
    at = [href for href, _ in sidebar].index(here)
    def link(i, rel, arrow):
        if not 0 <= i < len(sidebar): return '<span></span>'
        href, title = sidebar[i]
        return f'<a class="{rel}" rel="{rel}" href="{href}"><small>{arrow}</small>{html.escape(title)}</a>'
    return f'<nav class="pager">{link(at - 1, "prev", "← previous")}{link(at + 1, "next", "next →")}</nav>'


def build_page(nb_path: Path, proc: Path, out: Path, sidebar: list[tuple[str, str]]):
    "Process one notebook as the docs build does and render it to `out`, as Quarto would show it."
    try: serve_drv.main((nb_path, proc/nb_path.name, FilterDefaults))  # exactly what nbdev_proc_nbs runs per file
    finally: os.environ.pop('IN_TEST', None)                           # serve_drv leaves it set when a notebook fails
    nb = nbformat.read(proc/nb_path.name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == 'markdown': cell.source = retarget(cell.source, nb_path.parent, out)
        for o in cell.get('outputs', []):
            if 'text/markdown' in o.get('data', {}): o.data['text/markdown'] = pandoc_links(o.data['text/markdown'])
    front = reader_view(nb)
    mathjax = {'mathjax_url': f'{LOCAL_MATHJAX.as_uri()}?config=TeX-AMS_CHTML-full,Safe'} if LOCAL_MATHJAX.exists() else {}
    exporter = HTMLExporter(template_name='lab', exclude_input_prompt=True, exclude_output_prompt=True, **mathjax)
    name = page_name(nb_path)
    html_text, _ = exporter.from_notebook_node(nb, resources={'metadata': {'name': plain(str(front.get('title', nb_path.stem)))}})
    links = ''.join(f'<li{" class=here" * (href == name)}><a href="{href}">{html.escape(title)}</a></li>'
                    for href, title in sidebar)
    style = (NBS/'styles.css').read_text(encoding='utf-8') + SITE_CSS
    html_text = html_text.replace('</head>', f'<style>{style}</style></head>', 1)
    html_text = re.sub(r'<body[^>]*>', lambda m: f'{m[0]}<nav class="site"><ul>{links}</ul></nav>', html_text, count=1)
    html_text = html_text.replace('</body>', f'{pager(name, sidebar)}</body>', 1)
    (out/name).write_text(html_text, encoding='utf-8')


def reader_view(nb: nbformat.NotebookNode) -> dict:
    "Do what Quarto does with the front matter and the cell options nbdev leaves; return the front matter."
    front, cells = {}, []
    for cell in nb.cells:
        if cell.cell_type == 'raw':
            front.update(_fm2dict(cell.source))
            continue
        options = dict(OPTION.findall(cell.source)) if cell.cell_type == 'code' else {}
        if options.get('include') == 'false': continue
        cell.source = re.sub(r'^#\|.*(\n|$)', '', cell.source, flags=re.M)
        if options.get('echo') == 'false': cell.metadata['transient'] = {'remove_source': True}
        if options.get('output') == 'false': cell.outputs = []
        cells.append(cell)
    heading = f"# {front.get('title', '')}\n\n<div class=\"description\">{front.get('description', '')}</div>"
    nb.cells = [nbformat.v4.new_markdown_cell(heading)] + cells
    return front


def note(message: Warning) -> str:
    "One line for a warning from nbdev's processing (nbdev's own message quotes the whole cell)."
    text = str(message)
    if 'imports and other code' in text:   # nbdev runs such a cell whole while it builds the docs
        first = next((l for l in text.split('---\n')[1].splitlines() if l.strip()), '')
        return f'the docs build runs all of cell "{first[:50]}": it mixes imports with other code'
    return f'{type(message).__name__}: {text.splitlines()[0] if text else ""}'


SITE_CSS = """
nav.site { position: fixed; top: 0; left: 0; width: 15rem; height: 100%; overflow-y: auto;
  padding: 1rem; font: 14px/1.5 sans-serif; border-right: 1px solid #ddd; background: #fafafa; }
nav.site ul { list-style: none; padding-left: 0; } nav.site li { margin-bottom: 0.3rem; }
nav.site .here a { font-weight: bold; }
nav.pager { display: flex; justify-content: space-between; gap: 2rem; margin: 3rem 1rem 2rem 0;
  padding-top: 1rem; border-top: 1px solid #ddd; font: 16px/1.4 sans-serif; }
nav.pager a { max-width: 45%; text-decoration: none; } nav.pager a.next { text-align: right; margin-left: auto; }
nav.pager small { display: block; color: #666; }
body { margin-left: 17rem !important; }
"""


def shown(path: Path) -> str:
    "A notebook's path as the problem lines name it: relative to the repository where it lies inside it."
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def replaceable(out: Path) -> bool:
    "Whether `out` may be replaced by a new build: missing, empty, or built by this script."
    return not out.exists() or (out.is_dir() and (not any(out.iterdir()) or (out/MARKER).exists()
                                                   or ((out/'index.html').exists() and not any(out.glob('*.ipynb')))))


def build(nbs: Path, out: Path, wanted: set[str] = frozenset(), log=print) -> tuple[list[str], list[str]]:
    """Render the notebooks of `nbs` (those named in `wanted`, or all) into `out`: (bad input, flaws for `--check`), one line
    each. With any bad input nothing is written; otherwise the site (or the named pages) is moved into `out` whole."""
    notebooks = book_notebooks(nbs)
    chapters = book_chapters(nbs)
    sidebar = [(page_name(p), page_title(p)) for p in notebooks]
    pages = [p for p in notebooks if not wanted or p.stem in wanted]
    broken, flaws, start = [], [], time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    site = Path(tempfile.mkdtemp(prefix=f'.{out.name}-', dir=out.parent))   # beside `out`, so that the move is a rename
    try:
        with tempfile.TemporaryDirectory() as proc:
            for nb_path in pages:
                began = time.perf_counter()
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter('always')
                    bad, flawed = source_problems(nb_path, chapters)
                    if not bad or not bad[0].startswith('cannot be read'):
                        try: build_page(nb_path, Path(proc), site, sidebar)
                        except Exception as e:
                            cause = f' ({type(e.__cause__).__name__}: {e.__cause__})' if e.__cause__ else ''
                            first = str(e).strip().splitlines()[0] if str(e).strip() else ''
                            bad.insert(0, f'does not render: {type(e).__name__}: {first}{cause}')
                broken += [f'{shown(nb_path)}: {p}' for p in bad]
                flaws += [f'{shown(nb_path)}: {p}' for p in flawed]
                found = len(bad) + len(flawed)
                log(f'{nb_path.stem:>16} -> {page_name(nb_path):<18} {time.perf_counter() - began:4.1f} s'
                    f'{f", {found} problem(s)" if found else ""}')
                for line in dict.fromkeys(note(w.message) for w in caught if f'{os.sep}nbdev{os.sep}' in w.filename):
                    log(f'{"":>16}    note: {line}')
        if broken: return broken, flaws
        (site/MARKER).write_text('built by tools/preview.py; the folder is replaced by the next build\n')
        if wanted and out.exists():                                     # some pages: into the site that is there
            for f in site.iterdir():
                if f.is_dir(): shutil.copytree(f, out/f.name, dirs_exist_ok=True)
                else: shutil.copy2(f, out/f.name)
        else:                                                           # the whole site: swap the folders
            old = out.with_name(f'{site.name}-old')
            if out.exists(): out.rename(old)
            site.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        log(f'{len(pages)} page(s) in {time.perf_counter() - start:.0f} s: open {out/page_name(pages[0])}')
        return broken, flaws
    finally:
        shutil.rmtree(site, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('pages', nargs='*', help='notebook names to render (`10_attention`); default: all')
    ap.add_argument('--out', type=Path, default=ROOT/'_preview', help='folder for the HTML pages (replaced by each full build)')
    ap.add_argument('--nbs', type=Path, default=NBS, help='folder of the notebooks')
    ap.add_argument('--check', action='store_true', help='also exit 1, one line per problem, on what a reader should not see')
    args = ap.parse_args(argv)
    out, nbs = args.out.resolve(), args.nbs.resolve()
    os.chdir(ROOT)                                                    # nbdev reads settings.ini from here
    if not nbs.is_dir(): ap.error(f'{args.nbs} is not a folder of notebooks')
    notebooks = book_notebooks(nbs)
    if not notebooks: ap.error(f'{args.nbs} holds no notebooks')
    wanted = {Path(p).stem for p in args.pages}
    if unknown := sorted(wanted - {p.stem for p in notebooks}): ap.error(f'no such notebook in {args.nbs}: {", ".join(unknown)}')
    if not replaceable(out): ap.error(f'{args.out} holds files this script did not build: choose another --out')
    broken, flaws = build(nbs, out, wanted, log=lambda line: print(line, flush=True))
    for problem in broken + flaws: print(problem, file=sys.stderr)
    if broken:
        print(f'{len(broken)} page problem(s) (bad input): no site written', file=sys.stderr)
        return 1
    if args.check and flaws:
        print(f'{len(flaws)} problem(s) a reader would see', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__': sys.exit(main())
