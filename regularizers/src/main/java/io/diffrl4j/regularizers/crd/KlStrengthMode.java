package io.diffrl4j.regularizers.crd;

import io.diffrl4j.core.objective.KlStrength;

/** Which KL strength CRD's anchored KL uses (docs/ALGORITHMS.md 7.5); see {@link RewardAdaptiveKlStrength}. */
public enum KlStrengthMode {
    /** The paper (default): {@code lambda_i = floor + (klBeta - floor) r~_i}. */
    PER_SAMPLE,
    /** {@code lambda = floor + (klBeta - floor) clip(mean raw proxy reward of the micro-batch, 0, 1)}. */
    PER_BATCH,
    /** {@code lambda = klBeta} for every sample ({@link KlStrength#constant}); the floor is unused. */
    CONSTANT;

    /**
     * @param klBeta the full coefficient, finite and {@code >= 0}
     * @param floor the smallest coefficient of the adaptive modes, in [0, klBeta]
     * @return the strength of this mode
     */
    public KlStrength create(double klBeta, double floor) {
        switch (this) {
            case PER_SAMPLE:
                return RewardAdaptiveKlStrength.perSample(klBeta, floor);
            case PER_BATCH:
                return RewardAdaptiveKlStrength.perBatch(klBeta, floor);
            default:
                return KlStrength.constant(klBeta);
        }
    }
}
