package io.diffrl4j.core.schedule;

/**
 * A decay that ramps linearly with the optimizer step (docs/ALGORITHMS.md 7.6): {@code d(step) = step <
 * start ? d0 : min(d0 + slope * (step - start), dMax)}.
 *
 * @param start the step where the ramp starts
 * @param d0 the decay before and at the start
 * @param slope growth per step
 * @param dMax the ceiling, in [0, 1]
 */
public record EmaDecay(long start, double d0, double slope, double dMax) {
    /** Validates the ranges. */
    public EmaDecay {
        if (!(d0 >= 0 && d0 <= 1) || !(dMax >= 0 && dMax <= 1) || !(slope >= 0) || start < 0) {
            throw new IllegalArgumentException("EMA decay needs start >= 0, d0 and dMax in [0, 1], slope >= 0; got start="
                    + start + " d0=" + d0 + " slope=" + slope + " dMax=" + dMax);
        }
    }

    /** DiffusionNFT's "old" model: {@code min(0.001 * step, 0.5)}. */
    public static EmaDecay diffusionNftOld() {
        return new EmaDecay(0, 0.0, 0.001, 0.5);
    }

    /**
     * Parses the compact form of the reference code, {@code start-d0-slope-dmax}, e.g. {@code
     * 75-0.0-0.0075-0.999} (CRD's sampler for OCR).
     *
     * @param compact the four numbers joined by '-'
     * @return the decay
     * @throws IllegalArgumentException naming the text when it is not of that form
     */
    public static EmaDecay parse(String compact) {
        String[] parts = compact == null ? new String[0] : compact.trim().split("-");
        if (parts.length != 4) {
            throw new IllegalArgumentException("EMA decay '" + compact + "' is not of the form start-d0-slope-dmax");
        }
        try {
            return new EmaDecay(Long.parseLong(parts[0]), Double.parseDouble(parts[1]), Double.parseDouble(parts[2]),
                    Double.parseDouble(parts[3]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("EMA decay '" + compact + "' is not of the form start-d0-slope-dmax", e);
        }
    }

    /** @return the compact form {@code start-d0-slope-dmax} */
    public String compact() {
        return start + "-" + d0 + "-" + slope + "-" + dMax;
    }

    /** @param step the global optimizer step @return the decay d */
    public double at(long step) {
        return step < start ? d0 : Math.min(d0 + slope * (step - start), dMax);
    }
}
