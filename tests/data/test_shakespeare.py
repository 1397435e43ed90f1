"""The bundled plays become plain script text."""


from rnnkit.data.shakespeare import markdown_to_script


def test_markdown_play_becomes_script_text():
    markdown = ("# A Play\n\n## ACT I\n\n_Enter ROMEO and\nJULIET_\n\n**ROMEO**  \nBut soft!  \n"
                "_\\[Aside]_  \nWhat light?\n\n**JULIET**  \nAy me.\n")
    assert markdown_to_script(markdown) == "ROMEO:\nBut soft!\nWhat light?\n\nJULIET:\nAy me.\n"
