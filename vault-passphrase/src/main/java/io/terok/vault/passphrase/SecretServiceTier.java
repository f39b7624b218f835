package io.terok.vault.passphrase;

import io.terok.vault.passphrase.secrets.Pair;
import io.terok.vault.passphrase.secrets.Secret;
import io.terok.vault.passphrase.secrets.SecretCollection;
import io.terok.vault.passphrase.secrets.SecretItem;
import io.terok.vault.passphrase.secrets.SecretService;
import io.terok.vault.passphrase.secrets.SecretSession;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.DBus;
import org.freedesktop.dbus.types.Variant;

/**
 * The OS keyring through the freedesktop.org Secret Service API on the D-Bus session bus (gnome-keyring, KeePassXC,
 * KWallet's bridge...): the item whose attributes are {@code application=terok, purpose=vault-passphrase}, read
 * through a "plain" session (the bus is local to the user; the secret never leaves the machine).
 *
 * <p>Not configured ({@code terok.vault.secret-service} unset): no bus, no Secret Service on it or no such item means
 * the tier holds nothing. Configured ({@code true}): each of those is an error. Either way, an item that exists but
 * cannot be read (a locked collection the service cannot unlock without a prompt, an empty secret) is an error: the
 * operator put the passphrase there, so the chain does not go on to a weaker tier.
 */
public final class SecretServiceTier implements PassphraseTier {
    public static final Map<String, String> ATTRIBUTES = Map.of("application", "terok", "purpose", "vault-passphrase");
    private static final String NO_PROMPT = "/";
    private final Optional<String> busAddress;
    private final boolean required;

    /**
     * @param busAddress the session bus (configured, else {@code DBUS_SESSION_BUS_ADDRESS}); empty: none
     * @param required {@code terok.vault.secret-service=true}: the item must be there
     */
    public SecretServiceTier(Optional<String> busAddress, boolean required) {
        this.busAddress = busAddress.filter(s -> !s.isBlank());
        this.required = required;
    }

    @Override
    public String name() {
        return "secret-service";
    }

    public Optional<String> busAddress() {
        return busAddress;
    }

    @Override
    public Optional<String> resolve() throws TierFailedException {
        if (busAddress.isEmpty()) {
            return absent("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset); set terok.vault.secret-service-bus,"
                    + " or set terok.vault.secret-service to false");
        }
        try (DBusConnection bus = connect()) {
            if (bus == null) {
                return absent("cannot connect to the D-Bus session bus at " + busAddress.get()
                        + "; start the vault inside your desktop session, or fix terok.vault.secret-service-bus");
            }
            if (!servicePresent(bus)) {
                return absent("no Secret Service (org.freedesktop.secrets) on the bus at " + busAddress.get()
                        + "; start your keyring (e.g. gnome-keyring-daemon --start --components=secrets)");
            }
            SecretService service = bus.getRemoteObject(SecretService.BUS_NAME, SecretService.OBJECT_PATH, SecretService.class);
            Pair<List<DBusPath>, List<DBusPath>> found = service.SearchItems(ATTRIBUTES);
            List<DBusPath> items = found.first;
            if (items.isEmpty() && !found.second.isEmpty()) {
                Pair<List<DBusPath>, DBusPath> unlocked = service.Unlock(found.second);
                items = unlocked.first;
                if (items.isEmpty()) {
                    throw new TierFailedException(name(), "the keyring collection that holds the vault passphrase is locked"
                            + (NO_PROMPT.equals(unlocked.second.getPath()) ? "" : " and needs an interactive prompt to unlock")
                            + "; unlock your keyring (log in to the desktop session, or open it in your keyring manager),"
                            + " then run `terok vault unlock`");
                }
            }
            if (items.isEmpty()) {
                return absent("no item with attributes application=terok purpose=vault-passphrase in the Secret Service;"
                        + " run `terok setup` to provision one, or store it: `secret-tool store --label='terok vault'"
                        + " application terok purpose vault-passphrase`");
            }
            DBusPath session = openPlainSession(service);
            try {
                Map<DBusPath, Secret> secrets = service.GetSecrets(List.of(items.get(0)), session);
                Secret s = secrets.values().stream().findFirst().orElseThrow(() -> new TierFailedException(name(),
                        "the Secret Service returned no secret for " + found.first));
                String text = new String(s.value, StandardCharsets.UTF_8);
                Arrays.fill(s.value, (byte) 0);
                if (text.isEmpty()) {
                    throw new TierFailedException(name(), "the keyring item application=terok purpose=vault-passphrase is empty;"
                            + " store the passphrase in it again");
                }
                return Optional.of(text);
            } finally {
                close(bus, session);
            }
        } catch (DBusExecutionException | java.io.IOException | DBusException e) {
            throw failed(e);
        }
    }

    /** A failed call on the bus, as this tier's failure. */
    private TierFailedException failed(Exception e) {
        return new TierFailedException(name(), (e instanceof DBusExecutionException ? "the Secret Service failed: " : "D-Bus error: ")
                + e.getMessage());
    }

    private Optional<String> absent(String why) throws TierFailedException {
        if (required) {
            throw new TierFailedException(name(), why);
        }
        return Optional.empty();
    }

    /** A bus with a Secret Service whose default collection is unlocked: {@code terok setup} can store into it. */
    public boolean usable() {
        if (busAddress.isEmpty()) {
            return false;
        }
        try (DBusConnection bus = connect()) {
            if (bus == null || !servicePresent(bus)) {
                return false;
            }
            SecretService service = bus.getRemoteObject(SecretService.BUS_NAME, SecretService.OBJECT_PATH, SecretService.class);
            return defaultCollection(service).isPresent();
        } catch (java.io.IOException | DBusException | RuntimeException | TierFailedException e) {
            return false;
        }
    }

    /**
     * Whether the passphrase item exists (in a locked collection or not), without reading its secret: what
     * {@code terok setup --user} and {@code terok doctor --user} need to know. Empty: no bus or no Secret Service on it.
     */
    public Optional<Boolean> hasItem() {
        if (busAddress.isEmpty()) {
            return Optional.empty();
        }
        try (DBusConnection bus = connect()) {
            if (bus == null || !servicePresent(bus)) {
                return Optional.empty();
            }
            SecretService service = bus.getRemoteObject(SecretService.BUS_NAME, SecretService.OBJECT_PATH, SecretService.class);
            Pair<List<DBusPath>, List<DBusPath>> found = service.SearchItems(ATTRIBUTES);
            return Optional.of(!found.first.isEmpty() || !found.second.isEmpty());
        } catch (java.io.IOException | DBusException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Deletes every item with the passphrase attributes ({@code terok uninstall --purge}, together with the database
     * it unlocks). Returns how many were deleted; an item in a locked collection is reported, not skipped silently.
     */
    public int delete() throws TierFailedException {
        if (busAddress.isEmpty()) {
            return 0;
        }
        try (DBusConnection bus = connect()) {
            if (bus == null || !servicePresent(bus)) {
                return 0;
            }
            SecretService service = bus.getRemoteObject(SecretService.BUS_NAME, SecretService.OBJECT_PATH, SecretService.class);
            Pair<List<DBusPath>, List<DBusPath>> found = service.SearchItems(ATTRIBUTES);
            if (!found.second.isEmpty()) {
                throw new TierFailedException(name(), "the keyring collection that holds the vault passphrase is locked;"
                        + " unlock your keyring, then run the command again");
            }
            int n = 0;
            for (DBusPath item : found.first) {
                DBusPath prompt = bus.getRemoteObject(SecretService.BUS_NAME, item.getPath(), SecretItem.class).Delete();
                if (!NO_PROMPT.equals(prompt.getPath())) {
                    throw new TierFailedException(name(), "the keyring asked for an interactive prompt to delete " + item.getPath()
                            + "; delete it in your keyring manager");
                }
                n++;
            }
            return n;
        } catch (DBusExecutionException | java.io.IOException | DBusException e) {
            throw failed(e);
        }
    }

    @Override
    public boolean writable() {
        return true;
    }

    /** Stores (or replaces) the passphrase item in the default collection, which must be unlocked. */
    @Override
    public void save(String passphrase) throws TierFailedException {
        if (busAddress.isEmpty()) {
            throw new TierFailedException(name(), "no D-Bus session bus to store the passphrase on");
        }
        try (DBusConnection bus = connect()) {
            if (bus == null || !servicePresent(bus)) {
                throw new TierFailedException(name(), "no Secret Service on the bus at " + busAddress.get());
            }
            SecretService service = bus.getRemoteObject(SecretService.BUS_NAME, SecretService.OBJECT_PATH, SecretService.class);
            DBusPath collection = defaultCollection(service).orElseThrow(() -> new TierFailedException(name(),
                    "the keyring's default collection is missing or locked; unlock your keyring and try again"));
            DBusPath session = openPlainSession(service);
            try {
                Map<String, Variant<?>> props = new LinkedHashMap<>();
                props.put("org.freedesktop.Secret.Item.Label", new Variant<>("terok vault passphrase"));
                props.put("org.freedesktop.Secret.Item.Attributes", new Variant<>(ATTRIBUTES, "a{ss}"));
                SecretCollection c = bus.getRemoteObject(SecretService.BUS_NAME, collection.getPath(), SecretCollection.class);
                Pair<DBusPath, DBusPath> created = c.CreateItem(props, new Secret(session, new byte[0],
                        passphrase.getBytes(StandardCharsets.UTF_8), "text/plain"), true);
                if (NO_PROMPT.equals(created.first.getPath())) {
                    throw new TierFailedException(name(), "the keyring asked for an interactive prompt to store the item;"
                            + " unlock your keyring and try again");
                }
            } finally {
                close(bus, session);
            }
        } catch (DBusExecutionException | java.io.IOException | DBusException e) {
            throw failed(e);
        }
    }

    private Optional<DBusPath> defaultCollection(SecretService service) throws TierFailedException {
        DBusPath alias = service.ReadAlias("default");
        if (alias == null || NO_PROMPT.equals(alias.getPath())) {
            return Optional.empty();
        }
        Pair<List<DBusPath>, DBusPath> unlocked = service.Unlock(List.of(alias));
        return unlocked.first.isEmpty() ? Optional.empty() : Optional.of(alias);
    }

    /** dbus-java's connect timeout: at most one attempt (it tries max(timeout, 500) / 500 times, 500 ms apart). */
    static final int CONNECT_TIMEOUT_MILLIS = 500;

    private DBusConnection connect() {
        try {
            // One attempt: dbus-java retries a failed connect every 500 ms for 10 s by default, so a bus that is not
            // there (a headless host, a stale address) cost every resolve 10 s before the next tier was asked. The
            // session bus exists when the vault starts in the session, or it does not exist at all.
            return DBusConnectionBuilder.forAddress(busAddress.get()).withShared(false)
                    .transportConfig().withTimeout(CONNECT_TIMEOUT_MILLIS).back().build();
        } catch (DBusException | RuntimeException e) {
            return null;
        }
    }

    private static boolean servicePresent(DBusConnection bus) throws DBusException {
        DBus daemon = bus.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", DBus.class);
        return daemon.NameHasOwner(SecretService.BUS_NAME)
                || Arrays.asList(daemon.ListActivatableNames()).contains(SecretService.BUS_NAME);
    }

    private static DBusPath openPlainSession(SecretService service) {
        return service.OpenSession("plain", new Variant<>("")).second;
    }

    private static void close(DBusConnection bus, DBusPath session) {
        try {
            bus.getRemoteObject(SecretService.BUS_NAME, session.getPath(), SecretSession.class).Close();
        } catch (DBusException | RuntimeException ignored) {
            // the session dies with the connection anyway
        }
    }
}
