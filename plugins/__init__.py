"""The built-in plugins. Each is discovered through the ``gateway.plugins`` entry-point group,
exactly like a third-party plugin."""
