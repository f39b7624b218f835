package io.terok.vault.passphrase.secrets;

import java.util.Map;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.types.Variant;

@DBusInterfaceName("org.freedesktop.Secret.Collection")
@SuppressWarnings("checkstyle:MethodName")
public interface SecretCollection extends DBusInterface {
    /** The new item, and a prompt path ("/" when none is needed). */
    Pair<DBusPath, DBusPath> CreateItem(Map<String, Variant<?>> properties, Secret secret, boolean replace);
}
