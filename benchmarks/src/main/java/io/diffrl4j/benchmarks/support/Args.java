package io.diffrl4j.benchmarks.support;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/** {@code --name value} command-line options of the benchmark mains, checked against the names each main knows. */
public final class Args {
    private final Map<String, String> values = new LinkedHashMap<>();

    private Args() {}

    /**
     * @param args the command line
     * @param known the option names (without dashes) the caller accepts
     * @return the parsed options
     * @throws IllegalArgumentException naming an unknown option or a missing value
     */
    public static Args parse(String[] args, Set<String> known) {
        Args a = new Args();
        for (int i = 0; i < args.length; i++) {
            String k = args[i];
            if (!k.startsWith("--") || !known.contains(k.substring(2))) {
                throw new IllegalArgumentException("unknown option " + k + "; known: --" + String.join(", --", known));
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value for " + k);
            }
            a.values.put(k.substring(2), args[++i]);
        }
        return a;
    }

    /** @param name option @param fallback default @return the value */
    public String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    /** @param name option @param fallback default @return the value as an int */
    public int getInt(String name, int fallback) {
        return getNumber(name, fallback, Integer::parseInt);
    }

    /** @param name option @param fallback default @return the value as a long */
    public long getLong(String name, long fallback) {
        return getNumber(name, fallback, Long::parseLong);
    }

    private <T> T getNumber(String name, T fallback, Function<String, T> parse) {
        String v = values.get(name);
        try {
            return v == null ? fallback : parse.apply(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " needs an integer, got " + v, e);
        }
    }

    /** @param name option @param fallback default @return the value as a boolean ("true"/"false") */
    public boolean getBoolean(String name, boolean fallback) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException("--" + name + " needs true or false, got " + v);
        }
        return Boolean.parseBoolean(v);
    }
}
