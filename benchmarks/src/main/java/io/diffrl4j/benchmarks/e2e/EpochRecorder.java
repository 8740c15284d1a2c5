package io.diffrl4j.benchmarks.e2e;

import io.diffrl4j.benchmarks.support.ProcessMemory;
import io.diffrl4j.core.train.EpochReport;
import io.diffrl4j.core.train.Trainer;
import io.diffrl4j.core.train.TrainingListener;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A listener that turns each epoch into an {@link EpochRow}: the trainer's stage timings, the
 * epoch's wall time measured between epoch ends (this listener's own time, mostly counting live
 * arrays, is excluded), and the process's memory at the epoch's end. Prints one line per epoch.
 */
final class EpochRecorder implements TrainingListener {
    private final List<EpochRow> rows = new ArrayList<>();
    private final PrintStream console;
    private long lastEnd;
    private long lastGcMillis;
    private volatile long trainingThreadId = -1;

    EpochRecorder(PrintStream console) {
        this.console = console;
    }

    @Override
    public void onTrainingStart(Trainer trainer) {
        trainingThreadId = Thread.currentThread().getId();
        lastGcMillis = ProcessMemory.gcMillis();
        lastEnd = System.nanoTime();
    }

    @Override
    public void onEpochEnd(Trainer trainer, EpochReport report) {
        long end = System.nanoTime();
        long endMillis = System.currentTimeMillis();
        int images = trainer.config().promptsPerEpoch() * trainer.config().groupSize();
        double skipped = report.get("skipped_groups");
        int updated = images - (Double.isNaN(skipped) ? 0 : (int) Math.round(skipped) * trainer.config().groupSize());
        long gc = ProcessMemory.gcMillis();
        EpochRow row = new EpochRow(report.epoch() + 1, (end - lastEnd) / 1e9, report.get("time/sampling"),
                report.get("time/scoring"), report.get("time/update"), images, updated, ProcessMemory.rssMb(),
                ProcessMemory.peakRssMb(), ProcessMemory.liveArrays(), ProcessMemory.liveArrayMb(), ProcessMemory.heapUsedMb(),
                ProcessMemory.heapCommittedMb(), (gc - lastGcMillis) / 1e3, endMillis);
        rows.add(row);
        lastGcMillis = gc;
        console.printf(Locale.ROOT, "epoch %3d  %7.2f s (sampling %6.2f, scoring %5.2f, update %6.2f, other %5.2f)  "
                + "%6.2f img/s  RSS %7.1f MB (outside the heap %7.1f)  live arrays %d (%.1f MB)%n", row.epoch(),
                row.wallSeconds(), row.samplingSeconds(), row.scoringSeconds(), row.updateSeconds(), row.otherSeconds(),
                row.imagesPerSecond(), row.rssMb(), row.nativeRssMb(), row.liveArrays(), row.liveArrayMb());
        lastEnd = System.nanoTime();
    }

    /** @return the rows so far */
    List<EpochRow> rows() {
        return List.copyOf(rows);
    }

    /** @return the id of the thread that ran the epochs, -1 before training started */
    long trainingThreadId() {
        return trainingThreadId;
    }
}
