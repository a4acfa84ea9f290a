package datastore.shell;

import java.util.ArrayList;
import java.util.List;

/** Rows of text in aligned columns, for the shell's listings; the last column is not padded. */
final class TextTable {

    private final List<String[]> rows = new ArrayList<>();
    private final int columns;

    TextTable(String... headers) {
        this.columns = headers.length;
        rows.add(headers);
    }

    TextTable row(Object... cells) {
        if (cells.length != columns) {
            throw new IllegalArgumentException("a row of " + cells.length + " cells in a table of " + columns + " columns");
        }
        String[] row = new String[columns];
        for (int i = 0; i < columns; i++) {
            row[i] = String.valueOf(cells[i]);
        }
        rows.add(row);
        return this;
    }

    /** The number of rows below the headers. */
    int size() {
        return rows.size() - 1;
    }

    @Override
    public String toString() {
        int[] widths = new int[columns];
        for (String[] row : rows) {
            for (int i = 0; i < columns; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        StringBuilder text = new StringBuilder();
        for (String[] row : rows) {
            for (int i = 0; i < columns; i++) {
                text.append(row[i]);
                if (i < columns - 1) {
                    text.append(" ".repeat(widths[i] - row[i].length() + 2));
                }
            }
            text.append('\n');
        }
        return text.toString().stripTrailing();
    }
}
