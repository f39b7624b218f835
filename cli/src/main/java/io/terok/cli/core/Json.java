package io.terok.cli.core;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import java.util.List;

/** Protobuf messages as JSON with the API's own field names (proto3 JSON mapping). */
public final class Json {
    private Json() {
    }

    public static String of(MessageOrBuilder message) {
        try {
            return JsonFormat.printer().preservingProtoFieldNames().print(message);
        } catch (InvalidProtocolBufferException e) {
            throw new CliException("cannot print " + message.getClass().getSimpleName() + " as JSON: " + e.getMessage(),
                    "rerun with --debug and report it");
        }
    }

    public static String array(List<? extends MessageOrBuilder> messages) {
        if (messages.isEmpty()) {
            return "[]";
        }
        StringBuilder sb = new StringBuilder("[\n");
        for (int i = 0; i < messages.size(); i++) {
            sb.append(of(messages.get(i)).indent(2).stripTrailing());
            sb.append(i + 1 < messages.size() ? ",\n" : "\n");
        }
        return sb.append(']').toString();
    }
}
