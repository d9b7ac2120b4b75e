"""Development tools: the measurements behind `hwr-desktop bench`, the reading bench and its image
generator, GUI probes, and the scripts that take the README's screenshots and make resources.

They run from a checkout (`make bench`, `python -m hwr_desktop.devtools.<tool>`). The standalone
app does not ship them (build.spec leaves this package out): the `bench` command there says so.
Nothing in core/, ui/ or the app imports this package; only cli/bench.py does, when it is run.
"""
