"""Write README.md from nbs/index.ipynb without Quarto.

`nbdev_readme` renders through Quarto, which cannot be installed on the machines this project is
built on. This does the same job for our home page: markdown cells as they are, code cells that are
not hidden as Python blocks, and their text/markdown outputs. `--check` fails if README.md is stale.
"""
import argparse, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def directives(src: str) -> set:
    "The `#| name` directives at the top of a cell."
    return {m.group(1) for m in re.finditer(r'^#\|\s*([\w-]+)', src, flags=re.M)}


def strip_directives(src: str) -> str:
    return '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip()


def output_markdown(out: dict) -> str:
    "Markdown for one cell output: markdown as is, text in a plain block, images skipped."
    data = out.get('data', {})
    if 'text/markdown' in data: return ''.join(data['text/markdown']).strip()
    text = ''.join(out.get('text', [])) if out.get('output_type') == 'stream' else ''.join(data.get('text/plain', []))
    return f'```\n{text.rstrip()}\n```' if text.strip() else ''


def render(nb_path: Path) -> str:
    nb = json.loads(nb_path.read_text(encoding='utf-8'))
    parts = []
    for cell in nb['cells']:
        src = ''.join(cell['source'])
        if cell['cell_type'] == 'markdown':
            parts.append(src.strip())
            continue
        flags = directives(src)
        if 'hide' in flags: continue
        code = strip_directives(src)
        if code and 'echo: false' not in src and 'hide_input' not in flags: parts.append(f'```python\n{code}\n```')
        if 'hide_output' in flags: continue
        parts += [md for md in map(output_markdown, cell.get('outputs', [])) if md]
    body = '\n\n'.join(p for p in parts if p)
    # images and links to chapters are relative to nbs/ in the notebook; README.md sits one folder up
    body = re.sub(r'(!\[[^\]]*\]\()(?!https?://|/)([^)]+\))', r'\1nbs/\2', body)
    body = re.sub(r'((?<!!)\[[^\]]*\]\()(?![a-z]+:|/|#)([^)\s]+\.ipynb(?:#[^)\s]*)?\))', r'\1nbs/\2', body)
    # Quarto front matter ("# Title" then "> summary") renders the same in GitHub markdown.
    return f'<!-- WARNING: generated from nbs/index.ipynb by tools/make_readme.py; edit the notebook. -->\n\n{body}\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--check', action='store_true', help='fail if README.md differs from the notebook')
    args = ap.parse_args()
    text = render(ROOT/'nbs'/'index.ipynb')
    readme = ROOT/'README.md'
    if args.check:
        if not readme.exists() or readme.read_text(encoding='utf-8') != text:
            sys.exit('README.md is out of step with nbs/index.ipynb: run python tools/make_readme.py')
        print('README.md matches nbs/index.ipynb')
    else:
        readme.write_text(text, encoding='utf-8')
        print(f'wrote {readme}')


if __name__ == '__main__':
    main()
