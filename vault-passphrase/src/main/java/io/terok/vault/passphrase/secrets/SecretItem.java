package io.terok.vault.passphrase.secrets;

import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.interfaces.DBusInterface;

@DBusInterfaceName("org.freedesktop.Secret.Item")
@SuppressWarnings("checkstyle:MethodName")
public interface SecretItem extends DBusInterface {
    /** A prompt path ("/" when none is needed). */
    DBusPath Delete();
}
