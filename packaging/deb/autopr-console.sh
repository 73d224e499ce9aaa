#!/bin/sh
# /usr/bin/autopr-console: start the bundled application.
exec /opt/autopr-console/autopr-console "$@"
