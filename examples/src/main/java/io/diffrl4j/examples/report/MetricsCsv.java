package io.diffrl4j.examples.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Metrics as CSV columns: reads what {@code MetricsLogger} writes (empty cells are NaN) and writes
 * the held-out evaluations of the example commands ({@code eval.csv}: the {@code epoch} column as
 * integers, values to 6 significant digits).
 */
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

    /**
     * @param file the CSV to write (replaced)
     * @param columns column name to values, all of the length of the {@code epoch} column
     * @throws IOException when the file cannot be written
     */
    public static void write(Path file, Map<String, List<Double>> columns) throws IOException {
        StringBuilder b = new StringBuilder(String.join(",", columns.keySet())).append('\n');
        int n = columns.get("epoch").size();
        for (int i = 0; i < n; i++) {
            List<String> row = new ArrayList<>();
            for (Map.Entry<String, List<Double>> col : columns.entrySet()) {
                double v = col.getValue().get(i);
                row.add(col.getKey().equals("epoch") ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.6g", v));
            }
            b.append(String.join(",", row)).append('\n');
        }
        Files.writeString(file, b.toString());
    }
}
