package io.diffrl4j.core.weights;

import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks a checkpoint against the parameters a model expects before (or while) its weights are
 * read, with messages that name every mismatching tensor: missing and unexpected names, and
 * shapes as "found vs needed". Shared by the model loaders so that all of them report mismatches
 * the same way.
 */
public final class WeightChecks {
    /** How many names a message lists before it only counts the rest. */
    static final int LISTED = 20;

    private WeightChecks() {}

    /**
     * Fails unless the checkpoint holds exactly the expected tensors (plus the ignored ones).
     *
     * @param model what the checkpoint is for, e.g. "transformer" or "VAE", used in the message
     * @param expected the parameter names the model needs
     * @param found the tensor names in the checkpoint
     * @param ignored names the checkpoint may hold that are not parameters (derived buffers)
     * @throws IllegalArgumentException naming the missing and the unexpected tensors, sorted
     */
    public static void checkNames(String model, Collection<String> expected, Collection<String> found,
            Set<String> ignored) {
        Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(found);
        Set<String> unexpected = new TreeSet<>(found);
        unexpected.removeAll(expected);
        unexpected.removeAll(ignored);
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            throw new IllegalArgumentException("checkpoint does not match the " + model + " config: "
                    + missing.size() + " missing " + list(missing) + ", " + unexpected.size() + " unexpected "
                    + list(unexpected));
        }
    }

    /**
     * Fails when one tensor has another shape than the model needs.
     *
     * @param name the tensor name
     * @param found its shape in the checkpoint
     * @param expected the shape the config needs
     * @throws IllegalArgumentException "weight NAME has shape FOUND, the config needs EXPECTED"
     */
    public static void checkShape(String name, Shape found, Shape expected) {
        String mismatch = mismatch(name, found, expected);
        if (mismatch != null) {
            throw new IllegalArgumentException(mismatch);
        }
    }

    /**
     * Compares the stored shapes (from the checkpoint's header, nothing is read) of every expected
     * tensor with the shape the model needs, and reports all mismatches at once.
     *
     * @param expected name to needed shape; every name must be in {@code source}
     * @param source the checkpoint
     * @throws IllegalArgumentException listing each mismatch as in {@link #checkShape}
     */
    public static void checkShapes(Map<String, Shape> expected, WeightSource source) {
        List<String> mismatches = new ArrayList<>();
        expected.forEach((name, shape) -> {
            String m = mismatch(name, source.info(name).shape(), shape);
            if (m != null) {
                mismatches.add(m);
            }
        });
        if (mismatches.size() == 1) {
            throw new IllegalArgumentException(mismatches.get(0));
        }
        if (!mismatches.isEmpty()) {
            throw new IllegalArgumentException(mismatches.size() + " weights have the wrong shape: "
                    + String.join("; ", mismatches.subList(0, Math.min(LISTED, mismatches.size())))
                    + (mismatches.size() > LISTED ? "; ..." : ""));
        }
    }

    private static String mismatch(String name, Shape found, Shape expected) {
        return found.equals(expected) ? null
                : "weight " + name + " has shape " + found + ", the config needs " + expected;
    }

    /** The names, all of them up to {@link #LISTED}, then a count of the rest. */
    static String list(Collection<String> names) {
        List<String> all = new ArrayList<>(names);
        if (all.size() <= LISTED) {
            return all.toString();
        }
        return all.subList(0, LISTED) + " and " + (all.size() - LISTED) + " more";
    }
}
