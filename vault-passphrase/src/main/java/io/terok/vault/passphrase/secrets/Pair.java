package io.terok.vault.passphrase.secrets;

import org.freedesktop.dbus.Tuple;
import org.freedesktop.dbus.annotations.Position;

/** Two out-arguments of a D-Bus method (dbus-java maps multiple return values to a {@link Tuple}). */
public final class Pair<A, B> extends Tuple {
    @Position(0)
    public final A first;
    @Position(1)
    public final B second;

    public Pair(A first, B second) {
        this.first = first;
        this.second = second;
    }
}
