"""Typed keys of the notes sub-application."""

from aiohttp import web

from gateway_plugins.notes.settings import NotesSettings
from gateway_plugins.notes.store import NoteStore

SETTINGS = web.AppKey("notes.settings", NotesSettings)
# Set by the sub-application's cleanup_ctx once the database is migrated and open.
STORE = web.AppKey("notes.store", NoteStore)
