package io.terok.vault.passphrase.secrets;

import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.interfaces.DBusInterface;

@DBusInterfaceName("org.freedesktop.Secret.Session")
@SuppressWarnings("checkstyle:MethodName")
public interface SecretSession extends DBusInterface {
    void Close();
}
