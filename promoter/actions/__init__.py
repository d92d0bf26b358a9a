"""The actions: one function per use case that changes state, the one road every interface
takes (docs/architecture.md, "Actions").

An action owns the use case's checks, its transaction and its side effects (sentiment,
auto-tags, routing to the outbox, cache tokens). It writes nothing before it has decided to
accept. The interfaces (the widget API, the REST and Delighted APIs, the e-mail and link
pages, imports) translate their wire format to an action's arguments, and its
:class:`~promoter.core.errors.ApplicationError` back to theirs.

Actions sit above the domain apps (people, surveys, responses, text, integrations) and below
every interface: nothing under them imports them.
"""
