/**
 * TensorBoard event files written from Java, so that TensorBoard ({@code tensorboard --logdir DIR})
 * and Weights &amp; Biases ({@code wandb.init(sync_tensorboard=True)} or {@code wandb sync DIR}) show a
 * run's curves and sample grids. No maintained Java writer exists, and the format is small:
 *
 * <ul>
 *   <li><b>File</b>: named {@code events.out.tfevents.<unix seconds>.<host>...}; TensorBoard reads
 *       every file whose name contains {@code tfevents}, each folder under the log folder being a run.
 *   <li><b>Records</b> (TFRecord framing, tensorboard/summary/writer/record_writer.py): little-endian
 *       uint64 length, uint32 masked CRC32C of those 8 bytes, the data, uint32 masked CRC32C of the
 *       data, where {@code masked = ((crc >>> 15) | (crc << 17)) + 0xa282ead8}.
 *   <li><b>Data</b>: one serialized {@code tensorboard.Event} per record
 *       (tensorboard/compat/proto/event.proto, summary.proto); the first carries {@code file_version
 *       "brain.Event:2"}, the others a {@code Summary} of scalar ({@code simple_value}) or PNG image
 *       values.
 * </ul>
 *
 * {@link io.diffrl4j.core.train.tensorboard.EventFileWriter} writes such a file;
 * {@link io.diffrl4j.core.train.tensorboard.TensorBoardLogger} feeds it every epoch's metrics.
 */
package io.diffrl4j.core.train.tensorboard;
