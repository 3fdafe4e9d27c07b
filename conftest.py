# eventlet must patch the standard library before anything else imports it
# (stack.md pitfall 1: otherwise tests hang).
import eventlet

eventlet.monkey_patch()

pytest_plugins = ["caekit.testing"]
