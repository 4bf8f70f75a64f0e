//! LTRIM and LREM: removals that may empty (and so delete) the key.

use super::as_list_mut;
use crate::commands::{class, CmdResult, Ctx};

/// LTRIM key start stop
pub fn ltrim(ctx: &mut Ctx) -> CmdResult {
    let start = ctx.int_arg(2)?;
    let end = ctx.int_arg(3)?;
    let args = ctx.args;
    let db = ctx.db();
    if let Some(o) = ctx.st.ks.lookup_write(db, &args[1]) {
        let l = as_list_mut(&mut o.val)?;
        let removed = l.trim(start, end);
        let emptied = l.is_empty();
        ctx.notify(class::LIST, "ltrim", &args[1]);
        if emptied {
            ctx.st.ks.delete(db, &args[1]);
            ctx.notify(class::GENERIC, "del", &args[1]);
        }
        ctx.dirty(removed as u64);
    }
    ctx.out.ok();
    Ok(())
}

/// LREM key count element
pub fn lrem(ctx: &mut Ctx) -> CmdResult {
    let count = ctx.int_arg(2)?;
    let args = ctx.args;
    let db = ctx.db();
    let removed = match ctx.st.ks.lookup_write(db, &args[1]) {
        None => 0,
        Some(o) => {
            let l = as_list_mut(&mut o.val)?;
            let removed = l.remove(&args[3], count.unsigned_abs() as usize, count < 0);
            let emptied = l.is_empty();
            if removed > 0 {
                ctx.notify(class::LIST, "lrem", &args[1]);
            }
            if emptied {
                ctx.st.ks.delete(db, &args[1]);
                ctx.notify(class::GENERIC, "del", &args[1]);
            }
            removed
        }
    };
    ctx.dirty(removed as u64);
    ctx.out.int(removed as i64);
    Ok(())
}
