package io.diffrl4j.examples.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads a metrics CSV (as {@code MetricsLogger} writes it) into columns; empty cells are NaN. */
public final class MetricsCsv {
    private MetricsCsv() {}

    /**
     * @param file a CSV with a header row
     * @return column name to values, in header order
     * @throws IOException when the file cannot be read
     */
    public static Map<String, double[]> read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        if (lines.isEmpty()) {
            throw new IOException(file + " is empty: no header row");
        }
        String[] header = lines.get(0).split(",");
        Map<String, double[]> out = new LinkedHashMap<>();
        for (int c = 0; c < header.length; c++) {
            double[] col = new double[lines.size() - 1];
            for (int r = 1; r < lines.size(); r++) {
                String[] cells = lines.get(r).split(",", -1);
                col[r - 1] = c < cells.length && !cells[c].isEmpty() ? Double.parseDouble(cells[c]) : Double.NaN;
            }
            out.put(header[c], col);
        }
        return out;
    }
}
