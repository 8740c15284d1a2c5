package io.diffrl4j.core.train.tensorboard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.diffrl4j.core.train.EpochReport;
import io.diffrl4j.core.train.tensorboard.EventFileWriterTest.Scalar;
import io.diffrl4j.core.train.tensorboard.IndependentEventReader.Event;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorBoardLoggerTest {
    @Test
    void everyMetricOfEveryEpochIsOneScalarAtTheEpochsStep(@TempDir Path dir) throws Exception {
        List<EpochReport> reports = List.of(report(0, 2, 0.25, Double.NaN), report(1, 4, 0.5, 0.0125));
        try (EventFileWriter writer = EventFileWriter.open(dir)) {
            TensorBoardLogger logger = new TensorBoardLogger(writer);
            List<Scalar> expected = new ArrayList<>();
            for (EpochReport r : reports) {
                logger.onEpochEnd(null, r);
                expected.add(Scalar.of("global_step", r.epoch(), r.globalStep()));
                r.metrics().forEach((name, v) -> expected.add(Scalar.of(name, r.epoch(), v)));
                // flushed per epoch: readable before the writer is closed
                List<Event> events = IndependentEventReader.read(writer.file());
                assertEquals(r.epoch() + 2, events.size(), "the version event, then one event per epoch");
                assertEquals(expected, EventFileWriterTest.scalarsOf(events));
            }
            assertEquals(2 * (1 + 7), expected.size());
        }
    }

    private static EpochReport report(int epoch, long globalStep, double reward, double kl) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("time/sampling", 1.5 + epoch);
        m.put("reward/ocr/mean", reward);
        m.put("reward/ocr/std", 0.1);
        m.put("advantage/std", 0.9999);
        m.put("kl", kl);
        m.put("learning_rate", 3e-4);
        m.put("memory/peak_rss_mb", 2048.5);
        return new EpochReport(epoch, globalStep, m);
    }
}
