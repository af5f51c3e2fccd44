//! Content-type detection for the gateway, following the WHATWG MIME
//! sniffing signatures that Go's `http.DetectContentType` (and so kubo's
//! gateway) uses, plus kubo's SVG rule and a file-extension table for
//! `?filename=`.

/// The content type for a file whose first bytes (up to 512) are `prefix`.
pub fn sniff_content_type(prefix: &[u8]) -> &'static str {
    let prefix = &prefix[..prefix.len().min(512)];
    let trimmed = trim_leading_whitespace(prefix);
    const HTML_TAGS: [&[u8]; 17] = [
        b"<!DOCTYPE HTML",
        b"<HTML",
        b"<HEAD",
        b"<SCRIPT",
        b"<IFRAME",
        b"<H1",
        b"<DIV",
        b"<FONT",
        b"<TABLE",
        b"<A",
        b"<STYLE",
        b"<TITLE",
        b"<B",
        b"<BODY",
        b"<BR",
        b"<P",
        b"<!--",
    ];
    for tag in HTML_TAGS {
        if starts_with_ignore_case(trimmed, tag)
            && trimmed.get(tag.len()).is_some_and(|&next| next == b' ' || next == b'>')
        {
            return "text/html; charset=utf-8";
        }
    }
    if trimmed.starts_with(b"<?xml") {
        if contains(prefix, b"<svg") {
            return "image/svg+xml";
        }
        return "text/xml; charset=utf-8";
    }
    if starts_with_ignore_case(trimmed, b"<svg") {
        return "image/svg+xml";
    }
    const SIGNATURES: [(&[u8], &str); 17] = [
        (b"%PDF-", "application/pdf"),
        (b"%!PS-Adobe-", "application/postscript"),
        (b"\xFE\xFF", "text/plain; charset=utf-16be"),
        (b"\xFF\xFE", "text/plain; charset=utf-16le"),
        (b"\xEF\xBB\xBF", "text/plain; charset=utf-8"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"\x89PNG\x0D\x0A\x1A\x0A", "image/png"),
        (b"\xFF\xD8\xFF", "image/jpeg"),
        (b"BM", "image/bmp"),
        (b"OggS\x00", "application/ogg"),
        (b"ID3", "audio/mpeg"),
        (b"\x1A\x45\xDF\xA3", "video/webm"),
        (b"PK\x03\x04", "application/zip"),
        (b"\x1F\x8B\x08", "application/x-gzip"),
        (b"\x00asm", "application/wasm"),
        (b"Rar!\x1A\x07", "application/x-rar-compressed"),
    ];
    for (magic, content_type) in SIGNATURES {
        if prefix.starts_with(magic) {
            return content_type;
        }
    }
    if prefix.len() >= 12 && prefix.starts_with(b"RIFF") {
        match &prefix[8..12] {
            b"WEBP" => return "image/webp",
            b"WAVE" => return "audio/wave",
            b"AVI " => return "video/avi",
            _ => {}
        }
    }
    if prefix.len() >= 12 && &prefix[4..8] == b"ftyp" {
        return "video/mp4";
    }
    if prefix.starts_with(b"\x00\x00\x01\x00") || prefix.starts_with(b"\x00\x00\x02\x00") {
        return "image/x-icon";
    }
    let binary = prefix
        .iter()
        .any(|&byte| byte <= 0x08 || byte == 0x0B || (0x0E..=0x1A).contains(&byte) || (0x1C..=0x1F).contains(&byte));
    if binary {
        "application/octet-stream"
    } else {
        "text/plain; charset=utf-8"
    }
}

/// The content type for a file name's extension, if it is a common one.
pub fn content_type_for_name(name: &str) -> Option<&'static str> {
    let extension = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match extension.as_str() {
        "txt" => "text/plain; charset=utf-8",
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "text/xml; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wave",
        "ogg" => "application/ogg",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "tar" => "application/x-tar",
        "wasm" => "application/wasm",
        "csv" => "text/csv; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        _ => return None,
    })
}

fn trim_leading_whitespace(bytes: &[u8]) -> &[u8] {
    let start =
        bytes.iter().position(|byte| !matches!(byte, b'\t' | b'\n' | b'\x0C' | b'\r' | b' ')).unwrap_or(bytes.len());
    &bytes[start..]
}

fn starts_with_ignore_case(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes.len() >= prefix.len() && bytes[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_common_formats() {
        assert_eq!(sniff_content_type(b"hello\n"), "text/plain; charset=utf-8");
        assert_eq!(sniff_content_type(b""), "text/plain; charset=utf-8");
        assert_eq!(sniff_content_type(b"{\"a\": 1}"), "text/plain; charset=utf-8");
        assert_eq!(sniff_content_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
        assert_eq!(sniff_content_type(b"\xFF\xD8\xFF\xE0\0\x10JFIF"), "image/jpeg");
        assert_eq!(sniff_content_type(b"RIFF\x24\0\0\0WAVEfmt "), "audio/wave");
        assert_eq!(sniff_content_type(b"RIFF\x24\0\0\0WEBPVP8 "), "image/webp");
        assert_eq!(sniff_content_type(b"  <!doctype html><html>"), "text/html; charset=utf-8");
        assert_eq!(sniff_content_type(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), "image/svg+xml");
        assert_eq!(sniff_content_type(b"%PDF-1.7"), "application/pdf");
        assert_eq!(sniff_content_type(&[0, 1, 2, 3, 200]), "application/octet-stream");
        assert_eq!(sniff_content_type(b"\0\0\0\x20ftypisom"), "video/mp4");
    }

    #[test]
    fn maps_extensions() {
        assert_eq!(content_type_for_name("out.PNG"), Some("image/png"));
        assert_eq!(content_type_for_name("a.json"), Some("application/json"));
        assert_eq!(content_type_for_name("noext"), None);
        assert_eq!(content_type_for_name("x.unknown"), None);
    }
}
