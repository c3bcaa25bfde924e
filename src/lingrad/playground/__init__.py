"""``lingrad playground``: train in the browser, one step at a time.

:class:`~lingrad.playground.server.PlaygroundServer` serves the page (package data
in ``static/``) and one :class:`~lingrad.playground.session.Session` per tab, which
trains with lingrad's Trainer (:mod:`.stepper`) and streams frames (:mod:`.frames`)
of the panels (:mod:`.panels`) and the step panel (:mod:`.trace`).
"""
