"""Typed keys of the chat's own application."""

import jinja2
from aiohttp import web

from gateway_chat.room import Room
from gateway_chat.settings import ChatSettings

ROOM = web.AppKey("chat.room", Room)
SETTINGS = web.AppKey("chat.settings", ChatSettings)
# Its own key, not aiohttp_jinja2's default: another plugin's templates never shadow these.
TEMPLATES = web.AppKey("chat.templates", jinja2.Environment)
