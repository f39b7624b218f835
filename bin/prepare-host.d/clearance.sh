# clearance-service tests: a private D-Bus session bus, an X server and a real notification server.
ensure_packages dbus-daemon dunst xvfb
