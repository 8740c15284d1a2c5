package io.diffrl4j.core.train;

import java.util.Locale;

/**
 * How the learning rate changes over optimizer steps, as a factor of the peak rate
 * ({@link TrainerConfig#learningRate()}): constant (the RL recipes: Flow-GRPO, DiffusionNFT, GARDO
 * and CRD keep it fixed), a half cosine down to a floor, and a linear warm-up before either. The
 * trainer and the examples' pretraining read the rate of step {@code n} as
 * {@code learningRate * factor(n)}.
 */
public interface LearningRateSchedule {
    /**
     * @param step the optimizer step, from 0
     * @return the factor for that step, in [0, 1]
     */
    double factor(long step);

    /** @return a short description for configs and logs, e.g. {@code cosine(steps=1000, floor=0.1)} */
    String describe();

    /** @return the factor 1 at every step */
    static LearningRateSchedule constant() {
        return Constant.INSTANCE;
    }

    /**
     * A half cosine from 1 at step 0 to {@code floor} at step {@code steps}, held there after:
     * {@code floor + (1 - floor) (1 + cos(pi min(n, steps) / steps)) / 2}.
     *
     * @param steps the steps the decay lasts, at least 1
     * @param floor the final factor, in [0, 1]
     * @return the schedule
     */
    static LearningRateSchedule cosine(long steps, double floor) {
        if (steps < 1) {
            throw new IllegalArgumentException("a cosine schedule needs steps >= 1, got " + steps);
        }
        if (!(floor >= 0 && floor <= 1)) {
            throw new IllegalArgumentException("a cosine schedule's floor must be in [0, 1], got " + floor);
        }
        return new LearningRateSchedule() {
            @Override
            public double factor(long step) {
                double progress = Math.min(step, steps) / (double) steps;
                return floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
            }

            @Override
            public String describe() {
                return String.format(Locale.ROOT, "cosine(steps=%d, floor=%s)", steps, floor);
            }
        };
    }

    /**
     * This schedule after a linear warm-up: step {@code n < warmup} has factor
     * {@code (n + 1) / warmup} (never 0, which would waste a step), and step {@code n >= warmup}
     * this schedule's factor of step {@code n - warmup}.
     *
     * @param warmup warm-up steps, at least 0 (0: this schedule)
     * @return the schedule with the warm-up
     */
    default LearningRateSchedule withWarmup(long warmup) {
        if (warmup < 0) {
            throw new IllegalArgumentException("warm-up steps must be >= 0, got " + warmup);
        }
        if (warmup == 0) {
            return this;
        }
        LearningRateSchedule after = this;
        return new LearningRateSchedule() {
            @Override
            public double factor(long step) {
                return step < warmup ? (step + 1) / (double) warmup : after.factor(step - warmup);
            }

            @Override
            public String describe() {
                return "warmup(" + warmup + ") then " + after.describe();
            }
        };
    }

    /** The constant schedule (a named type so that configs can tell it apart). */
    enum Constant implements LearningRateSchedule {
        INSTANCE;

        @Override
        public double factor(long step) {
            return 1.0;
        }

        @Override
        public String describe() {
            return "constant";
        }
    }
}
