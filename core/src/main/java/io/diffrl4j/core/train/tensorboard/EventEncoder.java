package io.diffrl4j.core.train.tensorboard;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * Serializes the few {@code tensorboard.Event} messages an event file needs, field by field in the
 * protobuf wire format (no generated classes). Field numbers, from tensorboard/compat/proto:
 *
 * <pre>
 * Event         { double wall_time = 1; int64 step = 2;
 *                 oneof what { string file_version = 3; Summary summary = 5; ... } }
 * Summary       { repeated Value value = 1; }
 * Summary.Value { string tag = 1; oneof value { float simple_value = 2; Image image = 4; ... } }
 * Summary.Image { int32 height = 1; int32 width = 2; int32 colorspace = 3; bytes encoded_image_string = 4; }
 * </pre>
 *
 * A nested message is written as a length-delimited field holding its own serialization, which is
 * exactly how protobuf encodes a message field.
 */
final class EventEncoder {
    /** The version string TensorBoard expects in the first event of a file. */
    static final String FILE_VERSION = "brain.Event:2";

    private static final int EVENT_WALL_TIME = 1;
    private static final int EVENT_STEP = 2;
    private static final int EVENT_FILE_VERSION = 3;
    private static final int EVENT_SUMMARY = 5;
    private static final int SUMMARY_VALUE = 1;
    private static final int VALUE_TAG = 1;
    private static final int VALUE_SIMPLE_VALUE = 2;
    private static final int VALUE_IMAGE = 4;
    private static final int IMAGE_HEIGHT = 1;
    private static final int IMAGE_WIDTH = 2;
    private static final int IMAGE_COLORSPACE = 3;
    private static final int IMAGE_ENCODED = 4;

    private EventEncoder() {}

    /** @param wallTime seconds since the epoch @return the file's first event */
    static byte[] fileVersion(double wallTime) {
        return message(out -> {
            out.writeDouble(EVENT_WALL_TIME, wallTime);
            out.writeString(EVENT_FILE_VERSION, FILE_VERSION);
        });
    }

    /**
     * @param wallTime seconds since the epoch
     * @param step the x coordinate of the values
     * @param values tag to value, narrowed to float32 ({@code simple_value} is a float)
     * @return one event whose summary holds every value, in the map's order
     */
    static byte[] scalars(double wallTime, long step, Map<String, Double> values) {
        byte[] summary = message(out -> {
            for (Map.Entry<String, Double> e : values.entrySet()) {
                out.writeByteArray(SUMMARY_VALUE, message(v -> {
                    v.writeString(VALUE_TAG, e.getKey());
                    // a oneof member is written even when 0: its presence says which member is set
                    v.writeFloat(VALUE_SIMPLE_VALUE, e.getValue().floatValue());
                }));
            }
        });
        return summaryEvent(wallTime, step, summary);
    }

    /**
     * @param wallTime seconds since the epoch
     * @param step the x coordinate (TensorBoard's image slider)
     * @param tag the image's name
     * @param png the PNG file's bytes
     * @param header what the PNG's header says of it
     * @return one event holding the image
     */
    static byte[] image(double wallTime, long step, String tag, byte[] png, PngHeader header) {
        byte[] image = message(out -> {
            out.writeInt32(IMAGE_HEIGHT, header.height());
            out.writeInt32(IMAGE_WIDTH, header.width());
            out.writeInt32(IMAGE_COLORSPACE, header.colorspace());
            out.writeByteArray(IMAGE_ENCODED, png);
        });
        byte[] summary = message(out -> out.writeByteArray(SUMMARY_VALUE, message(v -> {
            v.writeString(VALUE_TAG, tag);
            v.writeByteArray(VALUE_IMAGE, image);
        })));
        return summaryEvent(wallTime, step, summary);
    }

    private static byte[] summaryEvent(double wallTime, long step, byte[] summary) {
        return message(out -> {
            out.writeDouble(EVENT_WALL_TIME, wallTime);
            if (step != 0) { // proto3 leaves a scalar field at its default out; readers read 0
                out.writeInt64(EVENT_STEP, step);
            }
            out.writeByteArray(EVENT_SUMMARY, summary);
        });
    }

    /** Writes a message's fields. */
    private interface Fields {
        void write(CodedOutputStream out) throws IOException;
    }

    private static byte[] message(Fields fields) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        try {
            fields.write(out);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serialize to memory", e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }
}
