"""Typed keys of the notes sub-application."""

from aiohttp import web

from gateway_plugins.notes.settings import NotesSettings
from gateway_plugins.notes.startup import NotesDatabase

SETTINGS = web.AppKey("notes.settings", NotesSettings)
# The database, set when the app is built; its store is there once it is migrated and open.
DATABASE = web.AppKey("notes.database", NotesDatabase)
