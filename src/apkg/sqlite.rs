//! A write-once SQLite database file, written page by page without SQLite.
//!
//! The package's collection is written once, read once by Anki's importer, and thrown
//! away; SQLite's general machinery (a page cache, a journal, a B-tree balanced on every
//! insert) cost two thirds of a 125k-card build. Here the rows arrive sorted, so each
//! B-tree is built bottom-up: leaves are filled in key order and streamed out, and the
//! few interior pages are made from the leaves' keys at the end. Page 1 (the schema,
//! naming every tree's root page) must come first in the stream, so the collection is
//! written twice: a planning pass that only counts pages (rows given by their length),
//! then the real pass, which starts with page 1 and streams every page in order — into
//! the zip, with no file in between. The result is an ordinary database (file format 4,
//! UTF-8, 4 KiB pages, no free pages) that `PRAGMA integrity_check` accepts; the tests
//! compare it, row by row, with the same collection written by SQLite itself.
//!
//! References are to <https://www.sqlite.org/fileformat2.html>.

use std::io::{self, Write};

/// Page size: SQLite's default.
pub const PAGE: usize = 4096;
/// Usable bytes per page (no reserved bytes at the end of pages).
const USABLE: usize = PAGE;
/// Offset of the B-tree header in page 1, after the database header.
const FILE_HEADER: usize = 100;
/// The SQLite version the header names as the last writer (3.46.0: any 3.x reads it).
const SQLITE_VERSION: u32 = 3_046_000;
/// The page holding the byte at offset 2^30, which SQLite uses for file locks: it never
/// holds data, and a reference to it reads as corruption (a collection over 1 GiB).
const LOCK_PAGE: u32 = (0x4000_0000 / PAGE as u32) + 1;

/// The number of the page written after page `n` (the lock-byte page is skipped).
fn page_after(n: u32) -> u32 {
    if n + 1 == LOCK_PAGE {
        n + 2
    } else {
        n + 1
    }
}

/// B-tree page types.
const INTERIOR_INDEX: u8 = 2;
const INTERIOR_TABLE: u8 = 5;
const LEAF_INDEX: u8 = 10;
const LEAF_TABLE: u8 = 13;

/// One schema object: a table or an index, with the SQL that creates it.
#[derive(Debug, Clone)]
pub struct Object {
    pub kind: &'static str,
    pub name: &'static str,
    pub table: &'static str,
    pub sql: &'static str,
}

/// Where pages go: nowhere (the planning pass), or a stream.
enum Out<'a> {
    Count,
    Stream(&'a mut dyn Write),
}

/// What the planning pass found: every object's root page and the number of pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    roots: Vec<u32>,
    pages: u32,
}

/// A database being written (or planned). Objects are written in any order, but the
/// planning and the real pass must write the same rows in the same order.
pub struct Writer<'a> {
    out: Out<'a>,
    /// Pages so far, page 1 included.
    pages: u32,
    objects: Vec<Object>,
    roots: Vec<Option<u32>>,
    plan: Option<Plan>,
}

/// Errors a write can end with: I/O, or data this writer cannot represent.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("{0}")]
    Invalid(String),
}

/// A row's payload: its bytes, or (when planning) only its length.
#[derive(Debug, Clone, Copy)]
pub enum Payload<'p> {
    Bytes(&'p [u8]),
    Len(usize),
}

impl Payload<'_> {
    fn len(&self) -> usize {
        match self {
            Payload::Bytes(b) => b.len(),
            Payload::Len(n) => *n,
        }
    }
}

impl<'a> Writer<'a> {
    /// The planning pass: counts pages, writes nothing.
    pub fn plan(objects: &[Object]) -> Self {
        Self {
            out: Out::Count,
            pages: 1,
            objects: objects.to_vec(),
            roots: vec![None; objects.len()],
            plan: None,
        }
    }

    /// The real pass: writes page 1 from `plan` at once, then every page as it is made.
    pub fn stream(
        out: &'a mut dyn Write,
        objects: &[Object],
        plan: Plan,
    ) -> Result<Self, WriteError> {
        let page = schema_page(objects, &plan.roots, plan.pages)?;
        out.write_all(&page[..])?;
        Ok(Self {
            out: Out::Stream(out),
            pages: 1,
            objects: objects.to_vec(),
            roots: vec![None; objects.len()],
            plan: Some(plan),
        })
    }

    /// Ends the planning pass.
    pub fn into_plan(self) -> Result<Plan, WriteError> {
        Ok(Plan {
            roots: self.all_roots()?,
            pages: self.pages,
        })
    }

    /// Ends the real pass, checking that it wrote what was planned.
    pub fn finish(self) -> Result<(), WriteError> {
        let written = Plan {
            roots: self.all_roots()?,
            pages: self.pages,
        };
        if self.plan.as_ref() != Some(&written) {
            return Err(WriteError::Invalid(
                "internal error: the collection differs from its plan".into(),
            ));
        }
        Ok(())
    }

    fn all_roots(&self) -> Result<Vec<u32>, WriteError> {
        self.roots
            .iter()
            .zip(&self.objects)
            .map(|(root, object)| {
                root.ok_or_else(|| {
                    WriteError::Invalid(format!("{} was never written", object.name))
                })
            })
            .collect()
    }

    /// Writes the lock-byte page (zeros) if it is next: no data goes there.
    fn skip_lock_page(&mut self) -> io::Result<()> {
        if self.pages + 1 == LOCK_PAGE {
            if let Out::Stream(out) = &mut self.out {
                out.write_all(&[0u8; PAGE])?;
            }
            self.pages += 1;
        }
        Ok(())
    }

    /// Writes one node as the next page; returns its number.
    fn emit(&mut self, node: &Node, right_most: u32) -> io::Result<u32> {
        self.skip_lock_page()?;
        if let Out::Stream(out) = &mut self.out {
            out.write_all(&node.render(right_most)[..])?;
        }
        self.pages += 1;
        Ok(self.pages)
    }

    /// Writes an overflow page: the next page's number, then up to a page of payload.
    fn emit_overflow(&mut self, next: u32, chunk: &[u8]) -> io::Result<u32> {
        self.skip_lock_page()?;
        if let Out::Stream(out) = &mut self.out {
            let mut page = [0u8; PAGE];
            page[..4].copy_from_slice(&next.to_be_bytes());
            page[4..4 + chunk.len()].copy_from_slice(chunk);
            out.write_all(&page)?;
        }
        self.pages += 1;
        Ok(self.pages)
    }

    fn slot(&self, name: &str) -> Result<usize, WriteError> {
        self.objects
            .iter()
            .position(|o| o.name == name)
            .ok_or_else(|| WriteError::Invalid(format!("no schema object named {name}")))
    }

    /// Starts the rows of table `name`; push them in increasing rowid order.
    pub fn table(&mut self, name: &str) -> Result<Table<'_, 'a>, WriteError> {
        let slot = self.slot(name)?;
        Ok(Table {
            writer: self,
            slot,
            leaf: Node::new(LEAF_TABLE, 0),
            children: Vec::new(),
            last_rowid: None,
            cell: Vec::with_capacity(PAGE),
        })
    }

    /// Writes index `name` from its entries (records, sorted as SQLite compares them).
    pub fn index<E: AsRef<[u8]>>(
        &mut self,
        name: &str,
        entries: impl Iterator<Item = E>,
    ) -> Result<(), WriteError> {
        let slot = self.slot(name)?;
        let mut entries = entries.peekable();
        let mut leaf = Node::new(LEAF_INDEX, 0);
        // Children and the entries between them (an index is a B-tree, not a B+tree:
        // each divider lives in an interior page only).
        let mut children: Vec<u32> = Vec::new();
        let mut dividers: Vec<Vec<u8>> = Vec::new();
        let mut cell = Vec::new();
        while let Some(entry) = entries.next() {
            let entry = entry.as_ref();
            index_cell(entry, &mut cell)?;
            if leaf.fits(cell.len()) {
                leaf.push(&cell);
                continue;
            }
            if entries.peek().is_some() {
                // The leaf is full: this entry goes up as a divider, the next one starts
                // a new leaf.
                children.push(self.emit(&leaf, 0)?);
                dividers.push(entry.to_vec());
                leaf.clear();
            } else {
                // The last entry cannot be a divider (no leaf would follow it): the
                // full leaf's last entry goes up instead, and this one starts the last leaf.
                let last = leaf.pop();
                children.push(self.emit(&leaf, 0)?);
                dividers.push(index_payload(&last).to_vec());
                leaf.clear();
                leaf.push(&cell);
            }
        }
        children.push(self.emit(&leaf, 0)?);
        // Interior levels, until one page holds them all.
        while children.len() > 1 {
            let mut next_children = Vec::new();
            let mut next_dividers = Vec::new();
            let mut node = Node::new(INTERIOR_INDEX, 0);
            let mut j = 0;
            while j < children.len() {
                if j + 1 == children.len() {
                    // The last child: the page's right-most pointer.
                    next_children.push(self.emit(&node, children[j])?);
                    break;
                }
                interior_index_cell(children[j], &dividers[j], &mut cell)?;
                if node.fits(cell.len()) {
                    node.push(&cell);
                    j += 1;
                    continue;
                }
                if j + 2 == children.len() && node.len() > 1 {
                    // Only one child would remain for a new page: move the last cell
                    // over, so the new page has a cell too.
                    node.pop();
                    j -= 1;
                }
                next_children.push(self.emit(&node, children[j])?);
                next_dividers.push(dividers[j].clone());
                node.clear();
                j += 1;
            }
            children = next_children;
            dividers = next_dividers;
        }
        self.roots[slot] = Some(children[0]);
        Ok(())
    }
}

/// Page 1: the database header and the schema table.
fn schema_page(
    objects: &[Object],
    roots: &[u32],
    pages: u32,
) -> Result<Box<[u8; PAGE]>, WriteError> {
    let mut schema = Node::new(LEAF_TABLE, FILE_HEADER);
    let mut record = Record::default();
    let mut cell = Vec::new();
    for (i, (object, root)) in objects.iter().zip(roots).enumerate() {
        record.clear();
        record.text(object.kind);
        record.text(object.name);
        record.text(object.table);
        record.int(i64::from(*root));
        record.text(object.sql);
        table_cell(
            i as i64 + 1,
            Payload::Bytes(record.bytes()),
            &mut cell,
            None,
        )?;
        if !schema.fits(cell.len()) {
            return Err(WriteError::Invalid("schema too large for page 1".into()));
        }
        schema.push(&cell);
    }
    let mut page = schema.render(0);
    page[..FILE_HEADER].copy_from_slice(&file_header(pages));
    Ok(page)
}

/// Rows of one table being written.
pub struct Table<'w, 'a> {
    writer: &'w mut Writer<'a>,
    slot: usize,
    leaf: Node,
    /// Leaves written so far, with the largest rowid of each.
    children: Vec<(u32, i64)>,
    last_rowid: Option<i64>,
    cell: Vec<u8>,
}

impl Table<'_, '_> {
    /// Adds a row; rowids must increase.
    pub fn push(&mut self, rowid: i64, record: Payload<'_>) -> Result<(), WriteError> {
        if self.last_rowid.is_some_and(|last| rowid <= last) {
            return Err(WriteError::Invalid(format!(
                "row id {rowid} is not above the one before it"
            )));
        }
        let mut cell = std::mem::take(&mut self.cell);
        let size = table_cell(rowid, record, &mut cell, Some(&mut *self.writer))?;
        if !self.leaf.fits(size) {
            let last = self.last_rowid.unwrap_or(rowid);
            let page = self.writer.emit(&self.leaf, 0)?;
            self.children.push((page, last));
            self.leaf.clear();
        }
        match record {
            Payload::Bytes(_) => self.leaf.push(&cell),
            Payload::Len(_) => self.leaf.push_len(size),
        }
        self.cell = cell;
        self.last_rowid = Some(rowid);
        Ok(())
    }

    /// Writes the last leaf and the interior pages.
    pub fn finish(mut self) -> Result<(), WriteError> {
        let page = self.writer.emit(&self.leaf, 0)?;
        self.children
            .push((page, self.last_rowid.unwrap_or_default()));
        let mut children = std::mem::take(&mut self.children);
        let mut cell = Vec::new();
        while children.len() > 1 {
            let mut next = Vec::new();
            let mut node = Node::new(INTERIOR_TABLE, 0);
            let mut j = 0;
            while j < children.len() {
                let (child, key) = children[j];
                if j + 1 == children.len() {
                    next.push((self.writer.emit(&node, child)?, key));
                    break;
                }
                cell.clear();
                cell.extend_from_slice(&child.to_be_bytes());
                put_varint(&mut cell, key as u64);
                if node.fits(cell.len()) {
                    node.push(&cell);
                    j += 1;
                    continue;
                }
                if j + 1 == children.len() - 1 && node.len() > 1 {
                    // Keep at least one cell for the last page.
                    node.pop();
                    j -= 1;
                }
                let (child, key) = children[j];
                next.push((self.writer.emit(&node, child)?, key));
                node.clear();
                j += 1;
            }
            children = next;
        }
        self.writer.roots[self.slot] = Some(children[0].0);
        Ok(())
    }
}

/// A B-tree page being filled: its cells, in key order.
struct Node {
    kind: u8,
    /// Where the B-tree header starts (100 on page 1, else 0).
    start: usize,
    /// The cells' bytes (none for cells only measured, when planning).
    cells: Vec<u8>,
    /// Where each cell ends, counting measured cells too.
    ends: Vec<usize>,
    used: usize,
}

impl Node {
    fn new(kind: u8, start: usize) -> Self {
        Self {
            kind,
            start,
            cells: Vec::with_capacity(PAGE),
            ends: Vec::with_capacity(PAGE / 8),
            used: 0,
        }
    }

    /// Empties the node for the next page of its kind.
    fn clear(&mut self) {
        self.cells.clear();
        self.ends.clear();
        self.used = 0;
    }

    fn header_len(&self) -> usize {
        if self.kind == LEAF_TABLE || self.kind == LEAF_INDEX {
            8
        } else {
            12
        }
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn fits(&self, cell: usize) -> bool {
        self.start + self.header_len() + 2 * (self.ends.len() + 1) + self.used + cell <= USABLE
    }

    fn push(&mut self, cell: &[u8]) {
        self.cells.extend_from_slice(cell);
        self.used += cell.len();
        self.ends.push(self.used);
    }

    /// Counts a cell of `len` bytes without its bytes (planning only).
    fn push_len(&mut self, len: usize) {
        self.used += len;
        self.ends.push(self.used);
    }

    /// Removes the last cell, returning it.
    fn pop(&mut self) -> Vec<u8> {
        self.ends.pop();
        let start = self.ends.last().copied().unwrap_or(0);
        self.used = start;
        self.cells.split_off(start)
    }

    /// The page: header, cell pointers, free space (zeros), cells at the end.
    fn render(&self, right_most: u32) -> Box<[u8; PAGE]> {
        let mut page = Box::new([0u8; PAGE]);
        let h = self.start;
        let content_start = USABLE - self.cells.len();
        page[h] = self.kind;
        page[h + 3..h + 5].copy_from_slice(&(self.ends.len() as u16).to_be_bytes());
        // 65,536 is written as 0; a 4 KiB page never has it.
        page[h + 5..h + 7].copy_from_slice(&(content_start as u16).to_be_bytes());
        if self.header_len() == 12 {
            page[h + 8..h + 12].copy_from_slice(&right_most.to_be_bytes());
        }
        page[content_start..].copy_from_slice(&self.cells);
        let mut begin = 0;
        for (i, &end) in self.ends.iter().enumerate() {
            let at = h + self.header_len() + 2 * i;
            page[at..at + 2].copy_from_slice(&((content_start + begin) as u16).to_be_bytes());
            begin = end;
        }
        page
    }
}

/// The 100-byte database header.
fn file_header(pages: u32) -> [u8; FILE_HEADER] {
    let mut h = [0u8; FILE_HEADER];
    h[..16].copy_from_slice(b"SQLite format 3\0");
    h[16..18].copy_from_slice(&(PAGE as u16).to_be_bytes());
    h[18] = 1; // file format write version: legacy (no WAL)
    h[19] = 1; // read version
    h[20] = 0; // reserved bytes per page
    h[21] = 64; // maximum embedded payload fraction
    h[22] = 32; // minimum embedded payload fraction
    h[23] = 32; // leaf payload fraction
    h[24..28].copy_from_slice(&1u32.to_be_bytes()); // file change counter
    h[28..32].copy_from_slice(&pages.to_be_bytes()); // database size in pages
    h[40..44].copy_from_slice(&1u32.to_be_bytes()); // schema cookie
    h[44..48].copy_from_slice(&4u32.to_be_bytes()); // schema format number
    h[56..60].copy_from_slice(&1u32.to_be_bytes()); // text encoding: UTF-8
    h[92..96].copy_from_slice(&1u32.to_be_bytes()); // version-valid-for: the change counter
    h[96..100].copy_from_slice(&SQLITE_VERSION.to_be_bytes());
    h
}

/// A table leaf cell: payload size, rowid, the payload's local part and, if it spills,
/// the first overflow page (overflow pages are written to `writer` at once; without a
/// writer a payload must fit).
fn table_cell(
    rowid: i64,
    payload: Payload<'_>,
    cell: &mut Vec<u8>,
    writer: Option<&mut Writer<'_>>,
) -> Result<usize, WriteError> {
    let len = payload.len();
    cell.clear();
    put_varint(cell, len as u64);
    put_varint(cell, rowid as u64);
    let max_local = USABLE - 35;
    let local = if len <= max_local {
        len
    } else {
        let min_local = (USABLE - 12) * 32 / 255 - 23;
        let k = min_local + (len - min_local) % (USABLE - 4);
        if k <= max_local {
            k
        } else {
            min_local
        }
    };
    // Planning: only the cell's size matters, its bytes are not made.
    let measured = cell.len() + local + if local < len { 4 } else { 0 };
    if let Payload::Bytes(bytes) = payload {
        cell.extend_from_slice(&bytes[..local]);
    }
    if local == len {
        return Ok(measured);
    }
    let Some(writer) = writer else {
        return Err(WriteError::Invalid("a row too large for page 1".into()));
    };
    // The overflow pages are written one after another: each one's successor is the
    // next page written.
    cell.extend_from_slice(&page_after(writer.pages).to_be_bytes());
    let count = (len - local).div_ceil(USABLE - 4);
    for i in 0..count {
        let next = if i + 1 < count {
            page_after(page_after(writer.pages))
        } else {
            0
        };
        let chunk = match payload {
            Payload::Bytes(bytes) => {
                let start = local + i * (USABLE - 4);
                &bytes[start..(start + USABLE - 4).min(len)]
            }
            Payload::Len(_) => &[],
        };
        writer.emit_overflow(next, chunk)?;
    }
    Ok(measured)
}

/// An index leaf cell: payload size and payload (index records here never spill).
fn index_cell(record: &[u8], cell: &mut Vec<u8>) -> Result<(), WriteError> {
    if record.len() > max_local_index() {
        return Err(WriteError::Invalid("index entry too large".into()));
    }
    cell.clear();
    put_varint(cell, record.len() as u64);
    cell.extend_from_slice(record);
    Ok(())
}

/// An interior index cell: left child, payload size, payload.
fn interior_index_cell(child: u32, record: &[u8], cell: &mut Vec<u8>) -> Result<(), WriteError> {
    if record.len() > max_local_index() {
        return Err(WriteError::Invalid("index entry too large".into()));
    }
    cell.clear();
    cell.extend_from_slice(&child.to_be_bytes());
    put_varint(cell, record.len() as u64);
    cell.extend_from_slice(record);
    Ok(())
}

/// The payload of an index leaf cell (after its size varint).
fn index_payload(cell: &[u8]) -> &[u8] {
    let (_, n) = get_varint(cell);
    &cell[n..]
}

fn max_local_index() -> usize {
    (USABLE - 12) * 64 / 255 - 23
}

/// SQLite's variable-length integer: 1 to 9 bytes, big-endian, 7 bits per byte with
/// the high bit meaning "more", and all 8 bits of a ninth byte.
pub fn put_varint(out: &mut Vec<u8>, v: u64) {
    let mut bytes = [0u8; 9];
    let n = varint_into(&mut bytes, v);
    out.extend_from_slice(&bytes[..n]);
}

/// [`put_varint`] into the start of `out`; returns the number of bytes written.
fn varint_into(out: &mut [u8], v: u64) -> usize {
    if v <= 0x7f {
        out[0] = v as u8;
        return 1;
    }
    if v > 0x00ff_ffff_ffff_ffff {
        out[8] = v as u8;
        let mut rest = v >> 8;
        for b in out[..8].iter_mut().rev() {
            *b = (rest as u8 & 0x7f) | 0x80;
            rest >>= 7;
        }
        return 9;
    }
    let n = varint_len(v);
    let mut rest = v;
    for (i, b) in out[..n].iter_mut().rev().enumerate() {
        *b = (rest as u8 & 0x7f) | if i == 0 { 0 } else { 0x80 };
        rest >>= 7;
    }
    n
}

/// Reads a varint; returns it and its length.
fn get_varint(bytes: &[u8]) -> (u64, usize) {
    let mut v = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(9) {
        if i == 8 {
            return ((v << 8) | u64::from(b), 9);
        }
        v = (v << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            return (v, i + 1);
        }
    }
    (v, bytes.len())
}

fn varint_len(v: u64) -> usize {
    if v > 0x00ff_ffff_ffff_ffff {
        9
    } else {
        ((64 - v.leading_zeros() as usize).max(1)).div_ceil(7)
    }
}

/// A record (a row or an index entry) being encoded: a header of serial types, then
/// the values. The values are written after room left for the header, which goes in
/// front of them at the end: a record is never copied whole.
#[derive(Debug)]
pub struct Record {
    types: Vec<u64>,
    /// `HEADER_ROOM` bytes, then the values.
    buf: Vec<u8>,
    body_len: usize,
    /// Only the size is wanted (the planning pass): values are counted, not written.
    measure: bool,
    /// For a header longer than the room left for it (never, with Anki's tables).
    out: Vec<u8>,
}

/// An integer's serial type and length, in the fewest bytes SQLite would use.
fn int_serial(v: i64) -> (u8, usize) {
    match v {
        0 => (8, 0),
        1 => (9, 0),
        -0x80..=0x7f => (1, 1),
        -0x8000..=0x7fff => (2, 2),
        -0x80_0000..=0x7f_ffff => (3, 3),
        -0x8000_0000..=0x7fff_ffff => (4, 4),
        -0x8000_0000_0000..=0x7fff_ffff_ffff => (5, 6),
        _ => (6, 8),
    }
}

/// Most integers an [`IntEntry`] holds.
pub const INT_ENTRY_MAX: usize = 5;

/// An index entry of integers, encoded on the stack: indexes over the notes and cards
/// are written from their rows, never kept encoded.
#[derive(Clone, Copy)]
pub struct IntEntry {
    bytes: [u8; 1 + INT_ENTRY_MAX * 9],
    len: u8,
}

impl IntEntry {
    /// The record of `values` (at most [`INT_ENTRY_MAX`]), as [`Record::int`] writes each.
    pub fn new<const N: usize>(values: [i64; N]) -> Self {
        const { assert!(N <= INT_ENTRY_MAX) };
        let mut bytes = [0; 1 + INT_ENTRY_MAX * 9];
        // Header: its own length (one byte: at most 6), then a serial type per value.
        bytes[0] = 1 + N as u8;
        let mut at = 1 + N;
        for (i, v) in values.into_iter().enumerate() {
            let (serial, len) = int_serial(v);
            bytes[1 + i] = serial;
            bytes[at..at + len].copy_from_slice(&v.to_be_bytes()[8 - len..]);
            at += len;
        }
        Self {
            bytes,
            len: at as u8,
        }
    }
}

impl AsRef<[u8]> for IntEntry {
    fn as_ref(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// Room for a record's header: 18 columns (Anki's widest table) of 9-byte serial types
/// would need 171 bytes.
const HEADER_ROOM: usize = 256;

impl Default for Record {
    fn default() -> Self {
        Self {
            types: Vec::with_capacity(32),
            buf: vec![0; HEADER_ROOM],
            body_len: 0,
            measure: false,
            out: Vec::new(),
        }
    }
}

impl Record {
    /// A record that only measures: [`Record::size`] without any bytes.
    pub fn measuring() -> Self {
        Self {
            measure: true,
            ..Self::default()
        }
    }

    pub fn clear(&mut self) {
        self.types.clear();
        self.buf.truncate(HEADER_ROOM);
        self.body_len = 0;
    }

    fn write(&mut self, bytes: &[u8]) {
        if !self.measure {
            self.buf.extend_from_slice(bytes);
        }
        self.body_len += bytes.len();
    }

    /// The column that aliases the rowid (`id integer primary key`): stored as NULL.
    pub fn null(&mut self) {
        self.types.push(0);
    }

    /// An integer, in the fewest bytes SQLite would use.
    pub fn int(&mut self, v: i64) {
        let (serial, len) = int_serial(v);
        self.types.push(u64::from(serial));
        self.write(&v.to_be_bytes()[8 - len..]);
    }

    pub fn real(&mut self, v: f64) {
        self.types.push(7);
        self.write(&v.to_bits().to_be_bytes());
    }

    pub fn text(&mut self, s: &str) {
        self.types.push(s.len() as u64 * 2 + 13);
        self.write(s.as_bytes());
    }

    /// Text made of parts, as if they were one string.
    pub fn text_parts(&mut self, parts: &[&str]) {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        self.types.push(len as u64 * 2 + 13);
        for part in parts {
            self.write(part.as_bytes());
        }
    }

    /// Text of parts joined by `separator`, as if it were one string.
    pub fn text_joined(&mut self, parts: &[&str], separator: &str) {
        let len: usize = parts.iter().map(|p| p.len()).sum::<usize>()
            + separator.len() * parts.len().saturating_sub(1);
        self.types.push(len as u64 * 2 + 13);
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                self.write(separator.as_bytes());
            }
            self.write(part.as_bytes());
        }
    }

    /// Text for a column with INTEGER affinity: stored as a number if it reads as one,
    /// as SQLite does on insert.
    pub fn numeric_text(&mut self, s: &str) {
        match numeric(s) {
            Some(Number::Int(v)) => self.int(v),
            Some(Number::Real(v)) => self.real(v),
            None => self.text(s),
        }
    }

    /// The header's length (which counts its own length's varint).
    fn header_len(&self) -> usize {
        let types_len: usize = self.types.iter().map(|&t| varint_len(t)).sum();
        let header_len = types_len + 1;
        if varint_len(header_len as u64) > 1 {
            types_len + varint_len((types_len + 2) as u64)
        } else {
            header_len
        }
    }

    /// The encoded record's size in bytes.
    pub fn size(&self) -> usize {
        self.header_len() + self.body_len
    }

    /// The encoded record (empty when measuring).
    pub fn bytes(&mut self) -> &[u8] {
        let header_len = self.header_len();
        if header_len <= HEADER_ROOM {
            let start = HEADER_ROOM - header_len;
            let mut at = start + varint_into(&mut self.buf[start..], header_len as u64);
            for &t in &self.types {
                at += varint_into(&mut self.buf[at..], t);
            }
            return &self.buf[start..];
        }
        self.out.clear();
        put_varint(&mut self.out, header_len as u64);
        for &t in &self.types {
            put_varint(&mut self.out, t);
        }
        self.out.extend_from_slice(&self.buf[HEADER_ROOM..]);
        &self.out
    }
}

enum Number {
    Int(i64),
    Real(f64),
}

/// What SQLite's INTEGER affinity makes of a text: an integer if it is a well-formed
/// integer (or a real with an exact integer value), a real if it is a well-formed real.
fn numeric(s: &str) -> Option<Number> {
    let t = s.trim_matches(|c: char| c == ' ' || ('\t'..='\r').contains(&c));
    if t.is_empty() {
        return None;
    }
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(v) = t.parse::<i64>() {
            return Some(Number::Int(v));
        }
    }
    if !is_real_literal(t) {
        return None;
    }
    let v: f64 = t.parse().ok()?;
    // SQLite keeps a real as an integer when the conversion is exact and the value is
    // strictly inside i64's range (sqlite3VdbeIntegerAffinity).
    if v.fract() == 0.0 && v > -9_223_372_036_854_775_808.0 && v < 9_223_372_036_854_775_808.0 {
        let i = v as i64;
        if i as f64 == v {
            return Some(Number::Int(i));
        }
    }
    Some(Number::Real(v))
}

/// `[+-]digits[.digits][(e|E)[+-]digits]` with at least one digit before the exponent.
fn is_real_literal(t: &str) -> bool {
    let b = t.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let mut mantissa = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
        mantissa += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            mantissa += 1;
        }
    }
    if mantissa == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;
    use std::path::Path;

    const OBJECTS: [Object; 3] = [
        Object {
            kind: "table",
            name: "t",
            table: "t",
            sql: "CREATE TABLE t (id integer primary key, v integer, s text)",
        },
        Object {
            kind: "table",
            name: "empty",
            table: "empty",
            sql: "CREATE TABLE empty (a integer)",
        },
        Object {
            kind: "index",
            name: "ix_t_v",
            table: "t",
            sql: "CREATE INDEX ix_t_v on t (v)",
        },
    ];

    /// Writes `rows` (rowid, v, s) with an index on v; returns the open database.
    fn written(dir: &Path, rows: &[(i64, i64, String)]) -> Connection {
        let path = dir.join(format!("t{}.db", rows.len()));
        let mut keys: Vec<(i64, i64)> = rows.iter().map(|r| (r.1, r.0)).collect();
        keys.sort_unstable();
        let mut record = Record::default();
        let entries: Vec<Vec<u8>> = keys
            .iter()
            .map(|(v, id)| {
                record.clear();
                record.int(*v);
                record.int(*id);
                record.bytes().to_vec()
            })
            .collect();
        let pass = |db: &mut Writer<'_>, planning: bool| {
            let mut record = Record::default();
            let mut table = db.table("t").unwrap();
            for (id, v, s) in rows {
                record.clear();
                record.null();
                record.int(*v);
                record.text(s);
                let bytes = record.bytes();
                let payload = if planning {
                    Payload::Len(bytes.len())
                } else {
                    Payload::Bytes(bytes)
                };
                table.push(*id, payload).unwrap();
            }
            table.finish().unwrap();
            db.table("empty").unwrap().finish().unwrap();
            db.index("ix_t_v", entries.iter().map(Vec::as_slice))
                .unwrap();
        };
        let mut planner = Writer::plan(&OBJECTS);
        pass(&mut planner, true);
        let plan = planner.into_plan().unwrap();
        let mut file = std::fs::File::create(&path).unwrap();
        let mut db = Writer::stream(&mut file, &OBJECTS, plan).unwrap();
        pass(&mut db, false);
        db.finish().unwrap();
        drop(file);
        Connection::open(&path).unwrap()
    }

    fn check(db: &Connection, rows: &[(i64, i64, String)]) {
        let ok: String = db
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok", "{} rows", rows.len());
        let mut stmt = db.prepare("SELECT id, v, s FROM t ORDER BY id").unwrap();
        let back: Vec<(i64, i64, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(back, rows);
        // The index is what answers this query.
        let mut stmt = db
            .prepare("SELECT id FROM t INDEXED BY ix_t_v WHERE v >= -1000000 ORDER BY v, id")
            .unwrap();
        let by_v: Vec<i64> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut expected: Vec<(i64, i64)> = rows.iter().map(|r| (r.1, r.0)).collect();
        expected.sort_unstable();
        assert_eq!(by_v, expected.iter().map(|e| e.1).collect::<Vec<_>>());
    }

    #[test]
    fn every_tree_shape_passes_sqlites_integrity_check() {
        let dir = tempfile::tempdir().unwrap();
        // Sizes around the page boundaries of one- and two-level trees, and a three-level
        // index and table; rows with overflow chains of one and several pages.
        let mut sizes: Vec<usize> = (0..40).chain((300..420).step_by(3)).collect();
        sizes.extend([1000, 5000, 90_000]);
        for n in sizes {
            let rows: Vec<(i64, i64, String)> = (0..n as i64)
                .map(|i| {
                    let len = match i % 97 {
                        0 => 5000,
                        1 => 13_000,
                        2 => 4061 - 20,
                        _ => (i % 13) as usize,
                    };
                    let v = (i * 7919) % 1013 - 500;
                    (i * 3 + 1, v, "x".repeat(len))
                })
                .collect();
            let db = written(dir.path(), &rows);
            check(&db, &rows);
        }
    }

    #[test]
    fn records_match_sqlites_encoding() {
        // Every integer width, and the INTEGER-affinity conversion of texts.
        let dir = tempfile::tempdir().unwrap();
        let ints = [
            0,
            1,
            -1,
            127,
            128,
            -129,
            32767,
            32768,
            8_388_607,
            8_388_608,
            2_147_483_648,
            140_737_488_355_328,
            i64::MIN,
            i64::MAX,
        ];
        let texts = [
            "12",
            " 12 ",
            "-7",
            "+3",
            "1.5",
            "3.0e+5",
            "1e3",
            ".5",
            "5.",
            "1e",
            "e5",
            "0x10",
            "12a",
            "",
            "9223372036854775808",
            "1.0",
            "-0.0",
            "日本",
            // Whole reals near i64's limits: integers while strictly inside its range.
            "9.1e18",
            "-9.1e18",
            "92e17",
            "9200000000000000000.0",
            "9.3e18",
            "-9.3e18",
        ];
        let path = dir.path().join("r.db");
        let sql = Connection::open(&path).unwrap();
        sql.execute_batch("CREATE TABLE r (id integer primary key, n integer, t integer)")
            .unwrap();
        let mut ours = Vec::new();
        let mut record = Record::default();
        for (i, (n, t)) in ints.iter().zip(texts.iter().cycle()).enumerate() {
            sql.execute(
                "INSERT INTO r VALUES (?1, ?2, ?3)",
                rusqlite::params![i as i64 + 1, n, t],
            )
            .unwrap();
            record.clear();
            record.null();
            record.int(*n);
            record.numeric_text(t);
            ours.push(record.bytes().to_vec());
        }
        for (i, t) in texts.iter().enumerate().skip(ints.len()) {
            sql.execute(
                "INSERT INTO r VALUES (?1, 0, ?2)",
                rusqlite::params![i as i64 + 1, t],
            )
            .unwrap();
            record.clear();
            record.null();
            record.int(0);
            record.numeric_text(t);
            ours.push(record.bytes().to_vec());
        }
        drop(sql);
        // Read SQLite's records straight from its leaf page (a single page here).
        let bytes = std::fs::read(&path).unwrap();
        let page = &bytes[PAGE..2 * PAGE];
        assert_eq!(page[0], LEAF_TABLE);
        let count = u16::from_be_bytes([page[3], page[4]]) as usize;
        assert_eq!(count, ours.len());
        for (i, expected) in ours.iter().enumerate() {
            let at = u16::from_be_bytes([page[8 + 2 * i], page[9 + 2 * i]]) as usize;
            let (size, a) = get_varint(&page[at..]);
            let (_, b) = get_varint(&page[at + a..]);
            let theirs = &page[at + a + b..at + a + b + size as usize];
            assert_eq!(theirs, &expected[..], "row {}", i + 1);
        }
    }

    /// The varint encoding, written the obvious way.
    fn reference_varint(out: &mut Vec<u8>, v: u64) {
        if v <= 0x7f {
            out.push(v as u8);
            return;
        }
        if v > 0x00ff_ffff_ffff_ffff {
            let mut bytes = [0u8; 9];
            bytes[8] = v as u8;
            let mut rest = v >> 8;
            for b in bytes[..8].iter_mut().rev() {
                *b = (rest as u8 & 0x7f) | 0x80;
                rest >>= 7;
            }
            out.extend_from_slice(&bytes);
            return;
        }
        let mut tmp = [0u8; 9];
        let mut n = 0;
        let mut rest = v;
        while rest > 0 {
            tmp[n] = (rest as u8 & 0x7f) | 0x80;
            rest >>= 7;
            n += 1;
        }
        tmp[0] &= 0x7f; // the last byte (lowest bits) has no "more" bit
        tmp[..n].reverse();
        out.extend_from_slice(&tmp[..n]);
    }

    #[test]
    fn varints_match_the_obvious_encoding() {
        let mut values: Vec<u64> = (0..70)
            .flat_map(|b| [1u64 << b.min(63), (1u64 << b.min(63)) - 1])
            .collect();
        values.extend([0, u64::MAX, 0x7f, 0x80, 0x3fff, 0x4000]);
        for v in values {
            let (mut ours, mut theirs) = (Vec::new(), Vec::new());
            put_varint(&mut ours, v);
            reference_varint(&mut theirs, v);
            assert_eq!(ours, theirs, "{v}");
        }
    }

    #[test]
    fn no_page_goes_at_the_lock_byte() {
        // A writer whose next pages run over the lock-byte page: a row spilling onto
        // three overflow pages, then its leaf.
        let mut bytes = Vec::new();
        let mut writer = Writer::plan(&[]);
        writer.out = Out::Stream(&mut bytes);
        writer.pages = LOCK_PAGE - 3;
        let payload: Vec<u8> = (0..(USABLE - 4) * 3 + 600).map(|i| i as u8).collect();
        let mut cell = Vec::new();
        table_cell(1, Payload::Bytes(&payload), &mut cell, Some(&mut writer)).unwrap();
        let leaf = writer.emit(&Node::new(LEAF_TABLE, 0), 0).unwrap();
        // Pages LOCK_PAGE-2, LOCK_PAGE-1, (the lock page), LOCK_PAGE+1, then the leaf.
        assert_eq!(leaf, LOCK_PAGE + 2);
        let first = u32::from_be_bytes(cell[cell.len() - 4..].try_into().unwrap());
        assert_eq!(first, LOCK_PAGE - 2);
        drop(writer);
        let next = |page: usize| {
            u32::from_be_bytes(bytes[page * PAGE..page * PAGE + 4].try_into().unwrap())
        };
        assert_eq!(next(0), LOCK_PAGE - 1);
        assert_eq!(next(1), LOCK_PAGE + 1);
        assert!(
            bytes[2 * PAGE..3 * PAGE].iter().all(|&b| b == 0),
            "the lock page is empty"
        );
        assert_eq!(next(3), 0);
        assert_eq!(bytes.len(), 5 * PAGE);
    }

    #[test]
    fn varints_round_trip() {
        for v in [0, 127, 128, 16383, 16384, 1 << 56, (1 << 56) - 1, u64::MAX] {
            let mut buf = Vec::new();
            put_varint(&mut buf, v);
            assert_eq!(get_varint(&buf), (v, buf.len()));
            assert_eq!(buf.len(), varint_len(v));
        }
    }
}
