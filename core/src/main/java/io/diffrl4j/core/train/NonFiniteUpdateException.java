package io.diffrl4j.core.train;

/**
 * An optimizer step refused because the gradients or an updated parameter would be infinite or NaN (a runaway learning rate, a loss that overflowed). Nothing of the step
 * was applied: the adapters and the optimizer state keep their last finite values, the step count
 * does not advance, and the accumulated gradients are cleared. The epoch that threw ends without
 * reaching its listeners, so no checkpoint of it is written; lower the learning rate (or find the
 * overflowing loss) and resume from the last checkpoint.
 */
public final class NonFiniteUpdateException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** What went non-finite. */
    public enum Quantity {
        /** the accumulated gradients (their global norm) */
        GRADIENT("gradient"),
        /** a parameter after the update */
        PARAMETER("updated parameter");

        private final String words;

        Quantity(String words) {
            this.words = words;
        }

        /** @return the quantity in words, as messages name it */
        public String words() {
            return words;
        }
    }

    private final Quantity quantity;
    private final String parameter;
    private final long step;

    /**
     * @param message the full message
     * @param quantity what went non-finite
     * @param parameter the first parameter found non-finite, or null for the gradient norm
     * @param step the optimizer step (0-based global step) that was refused
     */
    public NonFiniteUpdateException(String message, Quantity quantity, String parameter, long step) {
        super(message);
        this.quantity = quantity;
        this.parameter = parameter;
        this.step = step;
    }

    /** @return what went non-finite */
    public Quantity quantity() {
        return quantity;
    }

    /** @return the first parameter found non-finite, or null when the gradient norm was */
    public String parameter() {
        return parameter;
    }

    /** @return the refused optimizer step (0-based global step) */
    public long step() {
        return step;
    }
}
