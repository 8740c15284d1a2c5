package io.diffrl4j.core.objective;

import ai.djl.ndarray.NDArray;

/**
 * The KL coefficient: a constant, one value per batch, or one per sample (CRD's reward-adaptive
 * strength).
 */
@FunctionalInterface
public interface KlStrength {
    /**
     * @param batch the micro-batch
     * @return a scalar or a (b) array in the batch's manager
     */
    NDArray coefficients(MicroBatch batch);

    /**
     * @param beta the new scale, finite and {@code >= 0}
     * @return this strength with its scale {@code beta} replaced and its form kept
     * @throws UnsupportedOperationException for a strength with no single scale (a lambda)
     */
    default KlStrength withBeta(double beta) {
        throw new UnsupportedOperationException(getClass().getName() + " has no single beta to replace; "
                + "build the strength you want instead");
    }

    /** @param beta the coefficient @return a constant strength */
    static KlStrength constant(double beta) {
        return new Constant(beta);
    }

    /**
     * A constant coefficient, readable for reports and tests.
     *
     * @param beta the coefficient, finite and {@code >= 0}
     */
    record Constant(double beta) implements KlStrength {
        /** Validates beta. */
        public Constant {
            if (!(beta >= 0) || Double.isInfinite(beta)) {
                throw new IllegalArgumentException("KL beta must be finite and >= 0, got " + beta);
            }
        }

        @Override
        public KlStrength withBeta(double newBeta) {
            return new Constant(newBeta);
        }

        @Override
        public NDArray coefficients(MicroBatch batch) {
            // In the advantages' current manager (the trainer's per-pass scope), not the step's.
            return (batch.advantages() != null ? batch.advantages().getManager() : batch.manager())
                    .full(new ai.djl.ndarray.types.Shape(), (float) beta);
        }
    }
}
