"""The application lifecycle: what each status means, the transition table, and the one engine.

Layering: this package sits in `applications/` and imports only from `accounts`, `measures`,
`audit` and `core`. Apps above it (reviews, payments) call the engine and register
handlers for the effects that live with them (letters, notices) in their `AppConfig.ready()`.
"""
