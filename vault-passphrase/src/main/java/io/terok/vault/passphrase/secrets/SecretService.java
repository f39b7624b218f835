package io.terok.vault.passphrase.secrets;

import java.util.List;
import java.util.Map;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.types.Variant;

/**
 * {@code org.freedesktop.Secret.Service} (freedesktop.org Secret Service API 0.2), as far as the vault uses it. Method
 * names are the D-Bus member names.
 */
@DBusInterfaceName("org.freedesktop.Secret.Service")
@SuppressWarnings("checkstyle:MethodName")
public interface SecretService extends DBusInterface {
    String BUS_NAME = "org.freedesktop.secrets";
    String OBJECT_PATH = "/org/freedesktop/secrets";

    Pair<Variant<?>, DBusPath> OpenSession(String algorithm, Variant<?> input);

    /** Unlocked and locked items whose attributes match. */
    Pair<List<DBusPath>, List<DBusPath>> SearchItems(Map<String, String> attributes);

    /** The objects unlocked without a prompt, and a prompt path ("/" when none is needed). */
    Pair<List<DBusPath>, DBusPath> Unlock(List<DBusPath> objects);

    Pair<List<DBusPath>, DBusPath> Lock(List<DBusPath> objects);

    Map<DBusPath, Secret> GetSecrets(List<DBusPath> items, DBusPath session);

    /** "/" when the alias is not set. */
    DBusPath ReadAlias(String name);
}
