"""Build a local HTML preview of the docs site from the notebooks, without Quarto.

`nbdev_docs` first processes every notebook the way `nbdev_proc_nbs` does (title cell to front
matter, `#| hide` cells dropped, `show_doc` run and rendered, nbdev directives stripped), then hands
the result to Quarto, which cannot be installed here. This runs the same processing, applies the
Quarto cell options the book uses (`echo`, `output`, `include`: false), and renders each page with
nbconvert from its stored outputs: only what nbdev runs for `show_doc` is executed. `--check` fails on what a reader should
never see: a page that does not render, an error or traceback in an output, progress-bar residue,
a missing image, a link to a notebook that does not exist, a title cell that nbdev cuts short.
"""
import argparse, os, re, shutil, sys, tempfile, time, warnings
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


def pandoc_links(md: str) -> str:
    "Pandoc's link attributes (show_doc's `[source](url){target=...}`) as HTML, which nbconvert's markdown lacks."
    return PANDOC_LINK.sub(lambda m: f'<a href="{m[2]}" {m[3]}>{m[1]}</a>', md)


def page_name(nb: Path) -> str:
    "The page's file name on the site: nbdev drops the chapter number (`10_attention` -> `attention.html`)."
    return _nbpath2html(nb).name


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
        return m[0]
    return TARGET.sub(one, pandoc_links(md))


def output_problems(cell: nbformat.NotebookNode) -> list[str]:
    "What a reader should not see in one cell's stored outputs: errors, tracebacks, progress bars."
    outs = cell.get('outputs', [])
    streams = [''.join(o.text) for o in outs if o.output_type == 'stream']
    found = {'error output': sum(o.output_type == 'error' for o in outs),
             'traceback in a stream output': sum('Traceback (most recent call last)' in s for s in streams),
             'progress-bar residue (\\r or a tqdm bar) in a stream output': sum(
                 '\r' in s or bool(PROGRESS_BAR.search(s)) for s in streams)}
    first_line = next((l for l in cell.source.splitlines() if l.strip() and not l.startswith('#|')), '')
    return [f'cell "{first_line[:50]}": {n} x {what}' for what, n in found.items() if n]


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


def source_problems(nb_path: Path) -> list[str]:
    "What the stored notebook would show a reader that it should not, or links that it cannot find."
    nb, problems = nbformat.read(nb_path, as_version=4), []
    if n := cut_title_lines(title_cell(nb)):
        problems.append(f'title cell: nbdev keeps only `# title` and one `> summary` line; {n} more line(s) are cut from the page')
    for cell in nb.cells:
        problems += output_problems(cell)
        if cell.cell_type == 'markdown': retarget(cell.source, nb_path.parent, problems=problems)
    return problems


def build_page(nb_path: Path, proc: Path, out: Path, sidebar: list[tuple[str, str]]):
    "Process one notebook as the docs build does and render it to `out`, as Quarto would show it."
    serve_drv.main((nb_path, proc/nb_path.name, FilterDefaults))      # exactly what nbdev_proc_nbs runs per file
    nb = nbformat.read(proc/nb_path.name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == 'markdown': cell.source = retarget(cell.source, nb_path.parent, out)
        for o in cell.get('outputs', []):
            if 'text/markdown' in o.get('data', {}): o.data['text/markdown'] = pandoc_links(o.data['text/markdown'])
    front = reader_view(nb)
    mathjax = {'mathjax_url': f'{LOCAL_MATHJAX.as_uri()}?config=TeX-AMS_CHTML-full,Safe'} if LOCAL_MATHJAX.exists() else {}
    exporter = HTMLExporter(template_name='lab', exclude_input_prompt=True, exclude_output_prompt=True, **mathjax)
    html, _ = exporter.from_notebook_node(nb, resources={'metadata': {'name': front.get('title', nb_path.stem)}})
    links = ''.join(f'<li{" class=here" * (href == page_name(nb_path))}><a href="{href}">{title}</a></li>'
                    for href, title in sidebar)
    style = (NBS/'styles.css').read_text(encoding='utf-8') + SIDEBAR_CSS
    html = html.replace('</head>', f'<style>{style}</style></head>', 1)
    html = re.sub(r'<body[^>]*>', lambda m: f'{m[0]}<nav class="site"><ol>{links}</ol></nav>', html, count=1)
    (out/page_name(nb_path)).write_text(html, encoding='utf-8')


def note(message: Warning) -> str:
    "One line for a warning from nbdev's processing (nbdev's own message quotes the whole cell)."
    text = str(message)
    if 'imports and other code' in text:   # nbdev runs such a cell whole while it builds the docs
        first = next((l for l in text.split('---\n')[1].splitlines() if l.strip()), '')
        return f'the docs build runs all of cell "{first[:50]}": it mixes imports with other code'
    return f'{type(message).__name__}: {text.splitlines()[0] if text else ""}'


SIDEBAR_CSS = """
nav.site { position: fixed; top: 0; left: 0; width: 15rem; height: 100%; overflow-y: auto;
  padding: 1rem; font: 14px/1.5 sans-serif; border-right: 1px solid #ddd; background: #fafafa; }
nav.site ol { padding-left: 1.2rem; } nav.site .here a { font-weight: bold; }
body { margin-left: 17rem !important; }
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('pages', nargs='*', help='notebook names to render (`10_attention`); default: all')
    ap.add_argument('--out', type=Path, default=ROOT/'_preview', help='folder for the HTML pages')
    ap.add_argument('--check', action='store_true', help='exit 1, one line per problem, if any page has one')
    args = ap.parse_args(argv)
    out = args.out.resolve()
    os.chdir(ROOT)                                                    # nbdev reads settings.ini from here
    notebooks = [p for p in sorted(NBS.glob('*.ipynb')) if not p.name.startswith(('_', '.'))]
    notebooks.sort(key=lambda p: p.stem != 'index')                   # the home page first, as in the sidebar
    wanted = {Path(p).stem for p in args.pages}
    if unknown := sorted(wanted - {p.stem for p in notebooks}): ap.error(f'no such notebook in nbs/: {", ".join(unknown)}')
    sidebar = [(page_name(p), _md2dict(title_cell(nbformat.read(p, 4))).get('title', p.stem)) for p in notebooks]
    out.mkdir(parents=True, exist_ok=True)
    problems, start = [], time.perf_counter()
    pages = [p for p in notebooks if not wanted or p.stem in wanted]
    with tempfile.TemporaryDirectory() as proc:
        for nb_path in pages:
            began = time.perf_counter()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter('always')
                found = source_problems(nb_path)
                try: build_page(nb_path, Path(proc), out, sidebar)
                except Exception as e:
                    cause = f' ({type(e.__cause__).__name__}: {e.__cause__})' if e.__cause__ else ''
                    found.insert(0, f'does not render: {type(e).__name__}: {str(e).strip().splitlines()[0]}{cause}')
            problems += [f'nbs/{nb_path.name}: {p}' for p in found]
            print(f'{nb_path.stem:>16} -> {page_name(nb_path):<18} {time.perf_counter() - began:4.1f} s'
                  f'{f", {len(found)} problem(s)" if found else ""}', flush=True)
            for line in dict.fromkeys(note(w.message) for w in caught if f'{os.sep}nbdev{os.sep}' in w.filename):
                print(f'{"":>16}    note: {line}')
    print(f'{len(pages)} page(s) in {time.perf_counter() - start:.0f} s: open {out/page_name(pages[0])}', flush=True)
    for problem in problems: print(problem, file=sys.stderr)
    if args.check and problems:
        print(f'{len(problems)} problem(s) a reader would see', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__': sys.exit(main())
