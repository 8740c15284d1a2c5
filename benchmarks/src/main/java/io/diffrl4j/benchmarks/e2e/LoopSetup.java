package io.diffrl4j.benchmarks.e2e;

import io.diffrl4j.core.train.Trainer;

/** A model, a method and a trainer recipe ready to run; closing frees the model. */
interface LoopSetup extends AutoCloseable {
    /** @return a trainer builder with everything but this benchmark's listeners */
    Trainer.Builder trainer();

    /** @return what runs, in one sentence, for the output */
    String description();

    @Override
    void close();
}
