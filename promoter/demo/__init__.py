"""Demo data and the demo: the seed, the `demo` and `seed` commands and the /demo/ page.

It sits above every other app and no app imports it; only the root URLconf (for the page) and
tests (for the seed) do.
"""
