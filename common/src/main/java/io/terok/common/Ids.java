package io.terok.common;

import java.util.regex.Pattern;

/**
 * The one home of the names terok hands between services, one rule each (the same rules are stated in the
 * {@code .proto} comments): task ids, task names, project names and git branch names. Each check names the field
 * and shows the bad value through {@link Printable}, so a hostile value cannot forge a log or terminal line.
 */
public final class Ids {
    /** A task id: 32 lower-case hex digits (128 random bits), as runtime-service makes them. */
    public static final Pattern TASK_ID = Pattern.compile("[0-9a-f]{32}");
    /** A task's name, chosen by the operator: what {@code terok run --name} takes. */
    public static final Pattern TASK_NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,62}");
    /** A project name; also a directory name and part of a git URL, hence no '..' and no '.git' ending. */
    public static final Pattern PROJECT = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,62}");

    private static final int BRANCH_MAX = 255;

    private Ids() {
    }

    public static boolean isTaskId(String s) {
        return s != null && TASK_ID.matcher(s).matches();
    }

    public static String taskId(String field, String s) {
        if (!isTaskId(s)) {
            throw ServiceException.invalid(field, describe(s) + " is not a task id (32 lower-case hex digits)");
        }
        return s;
    }

    public static boolean isTaskName(String s) {
        return s != null && TASK_NAME.matcher(s).matches();
    }

    public static String taskName(String field, String s) {
        if (!isTaskName(s)) {
            throw ServiceException.invalid(field, describe(s) + " is not a valid name (expected [a-z0-9][a-z0-9_.-]{0,62})");
        }
        return s;
    }

    public static boolean isProject(String s) {
        return s != null && PROJECT.matcher(s).matches() && !s.contains("..") && !s.endsWith(".git");
    }

    public static String project(String field, String s) {
        if (!isProject(s)) {
            throw ServiceException.invalid(field, describe(s) + " is not a project name (expected [a-z0-9][a-z0-9_.-]{0,62}, "
                    + "no '..', not ending in .git)");
        }
        return s;
    }

    /**
     * A branch name as {@code git check-ref-format --branch} accepts it, given without {@code refs/heads/}; also
     * refuses a leading '-' (it would read as an option to git) and anything over 255 characters.
     */
    public static boolean isBranch(String b) {
        if (b == null || b.isEmpty() || b.length() > BRANCH_MAX || b.startsWith("-") || b.equals("@")
                || b.startsWith("/") || b.endsWith("/") || b.endsWith(".") || b.contains("..") || b.contains("//")
                || b.contains("@{")) {
            return false;
        }
        for (int i = 0; i < b.length(); i++) {
            char c = b.charAt(i);
            if (c < 0x20 || c == 0x7f || c == ' ' || c == '~' || c == '^' || c == ':' || c == '?' || c == '*'
                    || c == '[' || c == '\\') {
                return false;
            }
        }
        for (String part : b.split("/")) {
            if (part.startsWith(".") || part.endsWith(".lock")) {
                return false;
            }
        }
        return true;
    }

    /** {@code name} with or without {@code refs/heads/}; answers it without. */
    public static String branch(String field, String name) {
        String b = name != null && name.startsWith("refs/heads/") ? name.substring("refs/heads/".length()) : name;
        if (!isBranch(b)) {
            throw ServiceException.invalid(field, describe(name) + " is not a valid branch name");
        }
        return b;
    }

    private static String describe(String s) {
        return s == null || s.isEmpty() ? "an empty value" : "'" + Printable.line(s) + "'";
    }
}
