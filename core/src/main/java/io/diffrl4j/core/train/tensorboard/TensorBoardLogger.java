package io.diffrl4j.core.train.tensorboard;

import io.diffrl4j.core.train.EpochReport;
import io.diffrl4j.core.train.Trainer;
import io.diffrl4j.core.train.TrainingListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Writes every epoch's metrics to a TensorBoard event file: the same names as {@code metrics.csv}
 * ({@code global_step}, then the report's metrics such as {@code reward/<name>/mean},
 * {@code advantage/std}, {@code kl}, {@code time/sampling}), whose '/' TensorBoard and Weights &amp;
 * Biases use to group the charts into sections. The step is the epoch, 0-based as in
 * {@code metrics.csv}. The file is flushed after each epoch, so a crash loses at most the current one.
 *
 * <p>The writer is the caller's: it may also carry images (e.g. sample grids before and after
 * training) and is closed by whoever opened it.
 */
public final class TensorBoardLogger implements TrainingListener {
    private final EventFileWriter writer;

    /** @param writer where the scalars go; not closed by this listener */
    public TensorBoardLogger(EventFileWriter writer) {
        this.writer = Objects.requireNonNull(writer, "writer");
    }

    @Override
    public void onEpochEnd(Trainer trainer, EpochReport report) {
        Map<String, Double> values = new LinkedHashMap<>();
        values.put("global_step", (double) report.globalStep());
        values.putAll(report.metrics());
        try {
            writer.addScalars(report.epoch(), values);
            writer.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    @Override
    public void onTrainingEnd(Trainer trainer) {
        try {
            writer.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }
}
