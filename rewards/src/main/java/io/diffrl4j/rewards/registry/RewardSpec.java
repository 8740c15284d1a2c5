package io.diffrl4j.rewards.registry;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One reward as a command line names it: {@code name[=argument][*weight]}, for example {@code
 * ocr}, {@code jpeg*0.2}, {@code geneval=http://127.0.0.1:18085*1.0} or {@code
 * aesthetic=/models/aesthetic}. For a reward that takes no argument, {@code name=number} is read as
 * the weight ({@code ocr=1.0,jpeg=0.2}), the form Flow-GRPO's configs use.
 *
 * @param name the registry name
 * @param argument the text after '=', if any (a URL, a folder)
 * @param weight the weight in a mix, finite and non-zero (1 when not given)
 */
public record RewardSpec(String name, Optional<String> argument, double weight) {
    /** Validates the parts. */
    public RewardSpec {
        if (name == null || !name.matches("[a-z][a-z0-9_-]*")) {
            throw new IllegalArgumentException("a reward name is lower-case letters, digits, '-' and '_', got '" + name + "'");
        }
        if (!Double.isFinite(weight) || weight == 0) {
            throw new IllegalArgumentException("the weight of reward '" + name + "' must be finite and non-zero, got " + weight);
        }
        argument = argument.filter(a -> !a.isEmpty());
    }

    /**
     * @param specs comma-separated reward specs
     * @return them in order
     * @throws IllegalArgumentException naming the spec that does not parse
     */
    public static List<RewardSpec> parseAll(String specs) {
        List<RewardSpec> out = new ArrayList<>();
        for (String s : specs.split(",", -1)) {
            out.add(parse(s.trim()));
        }
        return out;
    }

    /**
     * @param spec one {@code name[=argument][*weight]}
     * @return it parsed; {@code name=number} keeps the number as {@link #argument()} too, and
     *     {@link RewardRegistry} decides by the reward's kind whether it is a weight
     */
    public static RewardSpec parse(String spec) {
        if (spec.isEmpty()) {
            throw new IllegalArgumentException("empty reward spec (two commas in a row, or a trailing comma?)");
        }
        double weight = 1;
        String rest = spec;
        int star = spec.lastIndexOf('*');
        if (star >= 0) {
            String w = spec.substring(star + 1);
            try {
                weight = Double.parseDouble(w);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("reward spec '" + spec + "': the weight after '*' is not a number: '" + w + "'");
            }
            rest = spec.substring(0, star);
        }
        int eq = rest.indexOf('=');
        String name = eq < 0 ? rest : rest.substring(0, eq);
        Optional<String> argument = eq < 0 ? Optional.empty() : Optional.of(rest.substring(eq + 1));
        try {
            return new RewardSpec(name, argument, weight);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("reward spec '" + spec + "': " + e.getMessage(), e);
        }
    }

    /** @return the argument read as a weight, when it is a plain number */
    Optional<Double> argumentAsWeight() {
        if (argument.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Double.parseDouble(argument.get()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
