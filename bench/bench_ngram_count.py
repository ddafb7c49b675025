"""Counting all n-grams of orders 1..6 over the Tiny Shakespeare training characters: ycit against nltk.lm.

    YCIT_DATA=/path/to/tinyshakespeare.txt python bench/bench_ngram_count.py [--order 6] [--chars N]

Both sides count exactly the same n-grams: every n-gram of orders 1..order at every position of the
training text taken as one unpadded sequence (nltk: `NgramCounter` over `everygrams`). The ycit time
includes building the tokenizer and turning the text into token ids; it is the best of
`--repeat` runs (the first run also pays one-off page faults, and is printed too), nltk runs once. Both wall-clock and CPU
(process) time are reported: on a busy shared machine the CPU time is the fairer comparison. nltk is a bench/dev extra, never a dependency of ycit.

ycit is timed twice: with its default keys (base-V numbers wherever V**n fits in an int64: every order here) and with
`packed=1`, ranked keys from order 2 on, the keys it uses for the orders beyond that limit; the two must count the same.
"""
import argparse
import os
import platform
import time

from nltk.lm import NgramCounter
from nltk.util import everygrams

from ycit.data import shakespeare_split
from ycit.ngram import count_ngrams
from ycit.tokenise import CharTokenizer


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--order', type=int, default=6, help='count orders 1..order')
    parser.add_argument('--chars', type=int, default=None, help='use only the first CHARS training characters')
    parser.add_argument('--repeat', type=int, default=3, help='ycit runs; the best is reported (nltk runs once)')
    args = parser.parse_args()
    text = shakespeare_split().train[:args.chars]

    def time_ycit(packed):  # (wall, cpu) of each run; the first one also pays one-off page faults and warm-up
        runs = []
        for _ in range(args.repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            tokenizer = CharTokenizer.from_text(text)
            counts = count_ngrams(tokenizer.encode(text), args.order, tokenizer.vocab_size, packed=packed)
            runs.append((time.perf_counter() - wall, time.process_time() - cpu))
        return tokenizer, counts, runs
    tokenizer, counts, ycit_runs = time_ycit(None)
    _, ranked, ranked_runs = time_ycit(1)
    ycit_s, ycit_cpu = min(w for w, _ in ycit_runs), min(c for _, c in ycit_runs)
    ranked_s, ranked_cpu = min(w for w, _ in ranked_runs), min(c for _, c in ranked_runs)

    wall, cpu = time.perf_counter(), time.process_time()
    nltk_counts = NgramCounter([everygrams(list(text), max_len=args.order)])
    nltk_s, nltk_cpu = time.perf_counter() - wall, time.process_time() - cpu

    # the ranked keys hold the same n-grams in the same order
    assert counts.packed == args.order and ranked.packed == 1
    assert all((a == b).all() for a, b in zip(counts.counts, ranked.counts))
    # the two must agree: distinct n-grams per order, and the counts of a few n-grams
    for n in range(1, args.order + 1):
        distinct = len(nltk_counts.unigrams) if n == 1 else sum(len(d) for d in nltk_counts[n].values())
        assert distinct == len(counts.keys[n - 1]), (n, distinct, len(counts.keys[n - 1]))
    for gram in ['e', 'th', 'the', 'ing ', 'KING ', 'ROMEO:', 'zzz', 'thou a']:
        gram = gram[:args.order]
        ours = counts[tokenizer.encode(gram)] if set(gram) <= set(tokenizer.itos) else 0
        assert ours == (ranked[tokenizer.encode(gram)] if set(gram) <= set(tokenizer.itos) else 0), gram
        theirs = nltk_counts.unigrams[gram] if len(gram) == 1 else nltk_counts[list(gram[:-1])][gram[-1]]
        assert ours == theirs, (gram, ours, theirs)

    total = sum(len(k) for k in counts.keys)
    print(f'{platform.processor() or platform.machine()}, Python {platform.python_version()}')
    print(f'counting orders 1..{args.order} over {len(text):,} characters ({total:,} distinct n-grams; counts agree)')
    print(f'                         wall s    CPU s')
    print(f'ycit.ngram.count_ngrams: {ycit_s:8.3f} {ycit_cpu:8.3f}   (best of {args.repeat}; first run '
          f'{ycit_runs[0][0]:.3f} s wall, {ycit_runs[0][1]:.3f} s CPU)')
    print(f'  ranked keys (packed=1):{ranked_s:8.3f} {ranked_cpu:8.3f}   (best of {args.repeat}; first run '
          f'{ranked_runs[0][0]:.3f} s wall, {ranked_runs[0][1]:.3f} s CPU)')
    print(f'nltk.lm.NgramCounter:    {nltk_s:8.3f} {nltk_cpu:8.3f}')
    print(f'ycit is {nltk_s / ycit_s:.0f}x faster by wall-clock time, {nltk_cpu / ycit_cpu:.0f}x by CPU time '
          f'({nltk_cpu / ycit_runs[0][1]:.0f}x counting the first run alone); load average {os.getloadavg()[0]:.1f}, '
          'and on a shared machine CPU time is the fairer measure')
    print(f'with ranked keys ycit is {nltk_s / ranked_s:.0f}x faster by wall-clock time, {nltk_cpu / ranked_cpu:.0f}x by CPU time')


if __name__ == '__main__':
    main()
