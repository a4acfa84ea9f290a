package datastore.romtool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

import datastore.Namespace;
import datastore.image.ImageType;
import datastore.romformat.RomImageBuilder;
import datastore.spi.InvalidRomContentException.Problem;
import datastore.spi.RomContent;

/**
 * The list of docks to manufacture: a CSV file (RFC 4180: comma separated, fields with commas, quotes or
 * line breaks in double quotes, a quote doubled inside them; UTF-8) whose header row names a
 * {@code dock_id} column and one column per unique-per-dock key, or per image with a {@code :png},
 * {@code :bmp} or {@code :jpeg} suffix ({@code logo:png}) whose cells name image files relative to the
 * CSV's folder. An empty cell gives that dock no such entry. Every row is checked before anything is
 * built, and every problem is reported with its line and column.
 */
final class DockList {
    static final String DOCK_ID = "dock_id";
    /** Dock ids name files on the factory machine: letters, digits, '.', '_' and '-', not starting with '.'. */
    static final Pattern ID = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,62}");

    /** One dock: the line its row starts on, its id and its unique-per-dock data. */
    record Dock(int line, String id, RomContent upd) {
    }

    /** One problem: where and why. */
    record CsvError(int line, int column, String reason) {
        String format(Path file) {
            return file + ":" + line + ":" + column + ": " + reason;
        }
    }

    /** The CSV had problems; nothing may be built. */
    static final class InvalidDockListException extends Exception {
        private static final long serialVersionUID = 1L;
        final transient List<CsvError> errors;

        InvalidDockListException(List<CsvError> errors) {
            super(errors.size() + " problem" + (errors.size() == 1 ? "" : "s") + " in the dock list");
            this.errors = List.copyOf(errors);
        }
    }

    /** A header column: a key-value name, or an image tag and type. */
    private record Column(String name, ImageType type) {
    }

    private DockList() {
    }

    /**
     * Reads and checks every row of {@code csv}: ids (well-formed, unique regardless of case), names,
     * values and images valid for the UPD section, each dock's section within the section's room and
     * within the ROM capacity beside the application's {@code appPayload}.
     *
     * @throws InvalidDockListException listing every problem, in the order of the file
     * @throws IOException if the CSV itself cannot be read
     */
    static List<Dock> read(Path csv, RomImageBuilder builder, long appPayload, boolean allowOutside)
            throws IOException, InvalidDockListException {
        List<CsvError> errors = new ArrayList<>();
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(Files.readAllBytes(csv)))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new InvalidDockListException(List.of(new CsvError(1, 1, "the file is not UTF-8 text")));
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        List<Record> records = parse(text, errors);
        if (records.isEmpty()) {
            errors.add(new CsvError(1, 1, "no header row; the first row names the columns: " + DOCK_ID
                    + " and one per unique-per-dock key or image (tag:png, tag:bmp, tag:jpeg)"));
            throw new InvalidDockListException(errors);
        }
        Record header = records.get(0);
        int idColumn = -1;
        List<Column> columns = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < header.fields.size(); i++) {
            String name = header.fields.get(i).strip();
            Column column = null;
            if (name.equals(DOCK_ID)) {
                if (idColumn >= 0) {
                    errors.add(new CsvError(header.lines.get(i), i + 1, "a second " + DOCK_ID + " column"));
                }
                idColumn = i;
            } else {
                column = column(name, header.lines.get(i), i + 1, errors);
                if (column != null) {
                    String key = (column.type == null ? "kv " : "image ") + column.name;
                    Integer first = seen.putIfAbsent(key, i + 1);
                    if (first != null) {
                        errors.add(new CsvError(header.lines.get(i), i + 1, "\"" + name + "\" repeats column " + first));
                    }
                }
            }
            columns.add(column);
        }
        if (idColumn < 0) {
            errors.add(new CsvError(header.line, 1, "the header has no " + DOCK_ID + " column"));
            throw new InvalidDockListException(errors);
        }
        Path folder = csv.toAbsolutePath().getParent();
        Map<String, byte[]> files = new HashMap<>();
        Map<String, Integer> ids = new HashMap<>();
        List<Dock> docks = new ArrayList<>();
        for (Record row : records.subList(1, records.size())) {
            if (row.fields.size() != header.fields.size()) {
                int column = Math.min(row.fields.size(), header.fields.size()) + 1;
                errors.add(new CsvError(row.lines.get(Math.min(column, row.fields.size()) - 1), column, row.fields.size()
                        + " fields where the header has " + header.fields.size()));
                continue;
            }
            int errorsBefore = errors.size();
            String id = row.fields.get(idColumn).strip();
            int idLine = row.lines.get(idColumn);
            if (id.isEmpty()) {
                errors.add(new CsvError(idLine, idColumn + 1, "bad id: empty"));
            } else if (!ID.matcher(id).matches()) {
                errors.add(new CsvError(idLine, idColumn + 1, "bad id \"" + datastore.Names.display(id) + "\": 1 to 63 "
                        + "letters, digits, '.', '_' or '-', not starting with '.'"));
            } else {
                Integer first = ids.putIfAbsent(id.toLowerCase(Locale.ROOT), idLine);
                if (first != null) {
                    errors.add(new CsvError(idLine, idColumn + 1, "duplicate id \"" + id + "\" (first on line " + first
                            + "; ids are compared regardless of case)"));
                }
            }
            Map<String, String> kv = new LinkedHashMap<>();
            Map<String, RomContent.RomImage> images = new LinkedHashMap<>();
            Map<String, Integer> columnOf = new HashMap<>();
            for (int i = 0; i < columns.size(); i++) {
                Column column = columns.get(i);
                String cell = row.fields.get(i);
                if (column == null || cell.isEmpty()) {
                    continue;
                }
                if (column.type == null) {
                    kv.put(column.name, cell);
                    columnOf.put("kvStore." + column.name, i);
                    continue;
                }
                columnOf.put("images." + column.name, i);
                Path path = Path.of(cell.strip());
                String absolute = (path.isAbsolute() ? path : folder.resolve(path)).normalize().toString();
                byte[] data = files.get(absolute);
                if (data == null) {
                    List<Problem> problems = new ArrayList<>();
                    data = RomDescription.readFile(header.fields.get(i), absolute, folder, allowOutside,
                            Namespace.IMAGE.maxValueBytes(), problems);
                    for (Problem problem : problems) {
                        errors.add(new CsvError(row.lines.get(i), i + 1, problem.message()));
                    }
                    if (data == null) {
                        continue;
                    }
                    files.put(absolute, data);
                }
                images.put(column.name, new RomContent.RomImage(column.type, data));
            }
            RomContent upd = new RomContent(null, kv, images);
            for (Problem problem : builder.checkUpd(upd)) {
                String field = problem.field();
                Integer column = null;
                for (Map.Entry<String, Integer> entry : columnOf.entrySet()) {
                    if (field.equals(entry.getKey()) || field.startsWith(entry.getKey() + ".")) {
                        column = entry.getValue();
                    }
                }
                String reason = problem.message();
                if (field.equals(RomImageBuilder.PAYLOAD_FIELD)) {
                    reason = "too large: " + reason;
                } else if (field.endsWith(".data")) {
                    reason = "invalid image: " + reason;
                }
                int at = column == null ? idColumn : column;
                errors.add(new CsvError(row.lines.get(at), at + 1, reason));
            }
            if (errors.size() == errorsBefore) {
                long payload = builder.payloadOf(upd);
                if (appPayload + payload > builder.capacity()) {
                    errors.add(new CsvError(idLine, idColumn + 1, "over capacity: this dock's " + payload + " bytes of "
                            + "unique-per-dock names and values beside the application's " + appPayload + " exceed the "
                            + "ROM capacity of " + builder.capacity() + " bytes"));
                }
                docks.add(new Dock(row.line, id, upd));
            }
        }
        if (docks.isEmpty() && errors.isEmpty()) {
            errors.add(new CsvError(header.line + 1, 1, "no docks: the list has a header row and no rows"));
        }
        if (!errors.isEmpty()) {
            throw new InvalidDockListException(errors);
        }
        return docks;
    }

    private static Column column(String header, int line, int column, List<CsvError> errors) {
        String name = header;
        ImageType type = null;
        int colon = header.lastIndexOf(':');
        if (colon >= 0) {
            String suffix = header.substring(colon + 1).strip().toUpperCase(Locale.ROOT);
            type = switch (suffix) {
                case "PNG" -> ImageType.PNG;
                case "BMP" -> ImageType.BMP;
                case "JPEG", "JPG" -> ImageType.JPEG;
                default -> null;
            };
            if (type == null) {
                errors.add(new CsvError(line, column, "\"" + header + "\": an image column ends in :png, :bmp or :jpeg"));
                return null;
            }
            name = header.substring(0, colon).strip();
        }
        java.util.Optional<String> problem = datastore.Names.problem(name);
        if (problem.isPresent()) {
            errors.add(new CsvError(line, column, "bad column name \"" + datastore.Names.display(name) + "\": "
                    + problem.get()));
            return null;
        }
        return new Column(name, type);
    }

    /** One CSV record: its fields and the line each field starts on. */
    private static final class Record {
        final int line;
        final List<String> fields = new ArrayList<>();
        final List<Integer> lines = new ArrayList<>();

        Record(int line) {
            this.line = line;
        }
    }

    /** RFC 4180 records; blank lines are skipped; a quote problem is an error at its line and column. */
    private static List<Record> parse(String text, List<CsvError> errors) {
        List<Record> records = new ArrayList<>();
        int line = 1;
        int i = 0;
        int n = text.length();
        while (i < n) {
            if (text.charAt(i) == '\n' || text.charAt(i) == '\r') {
                if (text.charAt(i) == '\n') {
                    line++;
                } else if (i + 1 >= n || text.charAt(i + 1) != '\n') {
                    line++;
                }
                i++;
                continue;
            }
            Record record = new Record(line);
            while (true) {
                int fieldLine = line;
                StringBuilder field = new StringBuilder();
                if (i < n && text.charAt(i) == '"') {
                    i++;
                    boolean closed = false;
                    while (i < n) {
                        char c = text.charAt(i);
                        if (c == '"') {
                            if (i + 1 < n && text.charAt(i + 1) == '"') {
                                field.append('"');
                                i += 2;
                                continue;
                            }
                            i++;
                            closed = true;
                            break;
                        }
                        if (c == '\n') {
                            line++;
                        }
                        field.append(c);
                        i++;
                    }
                    if (!closed) {
                        errors.add(new CsvError(fieldLine, record.fields.size() + 1, "a quoted field is not closed"));
                    } else if (i < n && text.charAt(i) != ',' && text.charAt(i) != '\n' && text.charAt(i) != '\r') {
                        errors.add(new CsvError(line, record.fields.size() + 1, "text after the closing quote of a field"));
                        while (i < n && text.charAt(i) != ',' && text.charAt(i) != '\n' && text.charAt(i) != '\r') {
                            i++;
                        }
                    }
                } else {
                    while (i < n && text.charAt(i) != ',' && text.charAt(i) != '\n' && text.charAt(i) != '\r') {
                        if (text.charAt(i) == '"') {
                            errors.add(new CsvError(line, record.fields.size() + 1, "a quote inside an unquoted field; "
                                    + "quote the whole field and double the quote"));
                        }
                        field.append(text.charAt(i++));
                    }
                }
                record.fields.add(field.toString());
                record.lines.add(fieldLine);
                if (i < n && text.charAt(i) == ',') {
                    i++;
                    continue;
                }
                break;
            }
            records.add(record);
        }
        return records;
    }
}
